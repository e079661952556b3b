"""Reading a contract from a file or a dict: JSON syntax, the reference JSON Schema, then our
model. Every problem is reported at once with a JSON pointer path."""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path
from typing import Any

import jsonschema
from pydantic import ValidationError

from mysql2ddb.tools.core.errors import ContractError, NotFoundError
from mysql2ddb.tools.contract.model import Contract

REFERENCE_SCHEMA = Path(__file__).resolve().parents[2] / "schemas" / "reference_migration_contract.schema.json"


@lru_cache(maxsize=1)
def reference_schema() -> dict[str, Any]:
    return json.loads(REFERENCE_SCHEMA.read_text())


def pointer(path: Any) -> str:
    return "/" + "/".join(str(p).replace("~", "~0").replace("/", "~1") for p in path) if path else ""


def schema_errors(data: Any) -> list[dict[str, str]]:
    validator = jsonschema.Draft7Validator(reference_schema())
    errors = sorted(validator.iter_errors(data), key=lambda e: list(map(str, e.absolute_path)))
    return [{"path": pointer(e.absolute_path), "message": e.message} for e in errors]


def _text(path: Path) -> str:
    """The file as UTF-8 text (a UTF-8 byte-order mark is allowed); a binary or otherwise encoded
    file is a ContractError naming the file, not a UnicodeDecodeError."""
    data = path.read_bytes()
    if b"\x00" in data[:8192]:
        utf16 = data[:2] in (b"\xff\xfe", b"\xfe\xff")
        raise ContractError(
            "the file is UTF-16 text, not UTF-8" if utf16 else "the file is binary (it holds NUL bytes), not JSON text",
            where=str(path),
            remedy="save the contract as UTF-8 JSON" + (" (your editor wrote UTF-16)" if utf16 else
                                                        "; check that this is the contract file"),
        )
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[:exc.start].count(b"\n") + 1
        raise ContractError(
            f"the file is not UTF-8: byte 0x{data[exc.start]:02x} at offset {exc.start} (line {line}) "
            "is not valid UTF-8 (Latin-1 or Windows-1252 text?)",
            where=f"{path}:{line}",
            remedy="save the contract as UTF-8 JSON (e.g. `iconv -f latin1 -t utf-8`), or write non-ASCII text as "
                   "\\u escapes",
        ) from None


def read_json(path: Path | str) -> Any:
    path = Path(path)
    if not path.is_file():
        raise NotFoundError(f"no file {path}", where=str(path), remedy="check the contract path")
    try:
        return json.loads(_text(path))
    except json.JSONDecodeError as exc:
        raise ContractError(
            f"not JSON: {exc.msg}",
            where=f"{path}:{exc.lineno}:{exc.colno}",
            remedy="fix the JSON syntax at that line and column",
            details={"errors": [{"path": "", "message": f"line {exc.lineno} column {exc.colno}: {exc.msg}"}]},
        ) from None


def empty_tables_errors(data: Any) -> list[dict[str, str]]:
    """A contract without tables migrates nothing: invalid, though the reference schema allows it."""
    if isinstance(data, dict) and data.get("tables") == []:
        return [{"path": "/tables", "message": "the contract has no tables: it would migrate nothing",
                 "remedy": "list at least one DynamoDB table (generate it with `mysql2ddb model contract`)"}]
    return []


def parse_contract(data: Any, where: str = "contract") -> Contract:
    """Validate shape (reference schema, then model); raise ContractError listing every problem."""
    errors = schema_errors(data) + empty_tables_errors(data)
    if not errors:
        try:
            return Contract.model_validate(data)
        except ValidationError as exc:
            errors = [{"path": pointer(e["loc"]), "message": e["msg"]} for e in exc.errors()]
    raise ContractError(
        f"{len(errors)} problem(s) in the contract's shape",
        where=where,
        remedy="fix each listed path; the schema is schemas/reference_migration_contract.schema.json",
        details={"errors": errors},
    )


def load_contract(source: Path | str | dict[str, Any]) -> Contract:
    if isinstance(source, dict):
        return parse_contract(source)
    return parse_contract(read_json(source), where=str(source))
