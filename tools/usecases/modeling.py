"""Stage 2 use cases, part one: the access-pattern registry, the context document, the recommended
design and the contract generated from the approved design, for both front ends.

Inputs are resolved here once: the database through `req.optional_dsn` (a caller's DSN gets the
configured password only when it names the configured server and user), pattern fields checked
with their path and a remedy (tools/modeling/registry.py). Gated artifacts (access_patterns.json,
design.json, contract.json) are never overwritten in silence: an approved previous version is kept
under versions/ and the result says which approvals became stale (tools/modeling/versions.py).
Each use case returns its result and the workspace-relative paths it wrote.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from mysql2ddb.tools.modeling import design_io, steps
from mysql2ddb.tools.modeling import registry as reg
from mysql2ddb.tools.usecases.request import Request


@dataclass
class Modeled:
    """A stage-2 result and the workspace-relative paths it wrote."""

    result: Any
    artifacts: list[str] = field(default_factory=list)


def _pattern_fields(description: str | None = None, sql: list[str] | str | None = None, kind: str | None = None,
                    entities: list[str] | None = None, rps_peak: float | None = None,
                    rps_average: float | None = None, consistency: str | None = None,
                    latency_ms: float | None = None) -> dict[str, Any]:
    return {"description": description, "sql": ([sql] if isinstance(sql, str) else sql) or None, "kind": kind,
            "entities": entities or None, "rps_peak": rps_peak, "rps_average": rps_average,
            "consistency": consistency.upper() if isinstance(consistency, str) else consistency,
            "latency_ms": latency_ms}


def _saved(req: Request, registry: reg.Registry, message: str) -> Modeled:
    return Modeled(steps.save_patterns(req.workspace, registry, message), [reg.ARTIFACT])


def list_patterns(req: Request) -> reg.Registry:
    return reg.load_registry(req.workspace)


def build_patterns(req: Request, growth_factor: float = 1.0, source: str = "log") -> Modeled:
    """The registry from the query-log analysis (rates over its window x growth) or the schema's keys."""
    return Modeled(steps.build_patterns(req.workspace, growth_factor, source), [reg.ARTIFACT])


def add_pattern(req: Request, description: str, *, pattern_id: str | None = None, **fields: Any) -> Modeled:
    registry = reg.load_registry(req.workspace)
    pattern = reg.add_pattern(registry, {"id": pattern_id, **_pattern_fields(description, **fields)})
    return _saved(req, registry, f"Added {pattern.id}.")


def edit_pattern(req: Request, pattern_id: str, **fields: Any) -> Modeled:
    registry = reg.load_registry(req.workspace)
    pattern = reg.edit_pattern(registry, pattern_id, _pattern_fields(**fields))
    return _saved(req, registry, f"Updated {pattern.id}.")


def set_pattern_rps(req: Request, pattern_id: str, rps_peak: float, rps_average: float | None = None) -> Modeled:
    """The rates the user gives (requests/s); without an average the peak is used for both."""
    registry = reg.load_registry(req.workspace)
    pattern = reg.set_rps(registry, pattern_id, rps_peak, rps_average)
    return _saved(req, registry, f"{pattern.id}: {pattern.rps_peak:g} peak / {pattern.rps_average:g} average "
                                 "requests/s.")


def remove_pattern(req: Request, pattern_id: str) -> Modeled:
    registry = reg.load_registry(req.workspace)
    pattern = reg.remove_pattern(registry, pattern_id)
    return _saved(req, registry, f"Removed {pattern.id}.")


def write_context(req: Request) -> Modeled:
    outcome = steps.write_context(req.workspace)
    return Modeled(outcome, [outcome.path])


def recommend(req: Request) -> Modeled:
    outcome = steps.recommend(req.workspace)
    return Modeled(outcome, [outcome.path, design_io.VALIDATION_ARTIFACT])


async def generate_contract(req: Request, dsn: str | None = None, *, allow_unapproved: bool = False) -> Modeled:
    """contract.json from the approved design, validated (live when a DSN is given or configured)."""
    target = req.optional_dsn(dsn, where="generate_contract: dsn")
    outcome = await steps.generate_contract(req.workspace, target, allow_unapproved=allow_unapproved)
    return Modeled(outcome, [outcome.path])


async def choose_table_key(req: Request, table: str, columns: list[str] | None = None, synthetic: bool = False,
                           dsn: str | None = None) -> Modeled:
    """The key of a table without a usable one (columns, or a hash of the whole row), checked against
    the data when a DSN is given or configured, kept in table_keys.json for the patterns and designs."""
    from mysql2ddb.tools.modeling.table_key_choice import choose_key

    target = req.optional_dsn(dsn, where="choose_table_key: dsn")
    outcome = await choose_key(req.workspace, steps.require_schema(req.workspace), table, columns, synthetic, target)
    return Modeled(outcome, [outcome.path])
