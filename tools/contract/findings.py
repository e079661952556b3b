"""What the contract checks collect: issues with a JSON pointer and a remedy, and what each
attribute yields. Shared by validate.py and the live checks, so neither imports the other."""

from __future__ import annotations

from dataclasses import dataclass

from pydantic import BaseModel, Field


class ContractIssue(BaseModel):
    path: str = Field(description="JSON pointer into the contract, e.g. /tables/2/attributes/5/join/join_condition")
    message: str
    remedy: str


class Findings:
    """Collects errors and warnings; nothing stops at the first one."""

    def __init__(self) -> None:
        self.errors: list[ContractIssue] = []
        self.warnings: list[ContractIssue] = []

    def error(self, path: str, message: str, remedy: str) -> None:
        issue = ContractIssue(path=path, message=message, remedy=remedy)
        if issue not in self.errors:
            self.errors.append(issue)

    def warn(self, path: str, message: str, remedy: str) -> None:
        issue = ContractIssue(path=path, message=message, remedy=remedy)
        if issue not in self.warnings:
            self.warnings.append(issue)


@dataclass
class AttrInfo:
    """What one attribute yields, as far as the contract and the catalog tell."""

    name: str
    type: str | None
    path: str
    value_class: str | None = None  # numeric, bool, string, temporal, binary, spatial, set, json
    nullable: bool = True
    typical: int = 16
    worst: int = 64
    source: str = ""  # e.g. "column film.title", for messages
    via_join: bool = False  # a LEFT join that finds nothing yields NULL (§3)
    entity: int | None = None
