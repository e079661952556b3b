"""The access-pattern registry: what the application asks of its data, how often, and how fast.

Patterns come from the query-log analysis (rates measured over the log's window, times an
optional growth factor) or from the user. A pattern whose rate is unknown is stored with
`rps_peak`/`rps_average` None and flagged `needs_rps`: the rate is asked for, never invented, and
the cost step refuses until it is given (`require_rps`).

Stored as `access_patterns.json` in the workspace: `{"patterns": [...], ...}`.
"""

from __future__ import annotations

import math
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from mysql2ddb.tools.core.errors import ConflictError, InputError, NotFoundError, WorkflowError
from mysql2ddb.tools.core.render import Table
from mysql2ddb.tools.modeling.sql_keys import StatementKeys, statement_keys
from mysql2ddb.tools.modeling.versions import Stored, store

ARTIFACT = "access_patterns.json"
Consistency = Literal["EVENTUAL", "STRONG"]
PatternKind = Literal["read", "write"]
SqlOperation = Literal["select", "insert", "update", "delete", "transaction", "other"]
PatternSource = Literal["log", "user", "schema"]
SET_RPS_HINT = ("give each one with the `set_pattern_rps` tool (pattern_id, rps_peak, rps_average) or "
                "`mysql2ddb model patterns set-rps ID --peak N --average N`")
KEYLESS_NOTE = "no usable key:"  # a schema pattern's note naming a table no item key can be built for
# Fields a user edit pins: a rebuild from the log keeps them.
EDITABLE = ("description", "kind", "operation", "entities", "consistency", "latency_ms", "rps_peak", "rps_average",
            "fingerprint", "example", "statements")


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class PatternStatement(_Model):
    """One SQL statement of a pattern (a transaction has several), with its parsed keys."""

    fingerprint: str | None = Field(None, description="normalized SQL, literals as ?")
    example: str | None = Field(None, description="one real execution, with its literals")
    keys: StatementKeys | None = Field(None, description="parsed from the example (else the fingerprint)")
    repeats_avg: float = Field(1.0, gt=0, description="average executions per run of the pattern (a loop's step "
                                                      "runs this many times per transaction; measured from the log)")

    @model_validator(mode="after")
    def _parse(self) -> PatternStatement:
        if self.keys is None and (self.example or self.fingerprint):
            keys = statement_keys(self.example) if self.example else None
            if keys is None or keys.parse_error:
                keys = statement_keys(self.fingerprint) if self.fingerprint else keys
            self.keys = keys
        return self

    @property
    def sql(self) -> str:
        return self.example or self.fingerprint or ""


class AccessPattern(_Model):
    id: str = Field(description="stable id, e.g. 'AP1'")
    description: str = ""
    kind: PatternKind = Field("read", description="read or write")
    operation: SqlOperation = Field("select", description="the SQL operation; 'transaction' for several statements")
    entities: list[str] = Field(default_factory=list, description="MySQL tables involved, main table first")
    consistency: Consistency = "EVENTUAL"
    latency_ms: float | None = Field(None, description="latency target in milliseconds (None: not stated)")
    rps_peak: float | None = Field(None, description="peak requests/s; None: unknown, ask the user")
    rps_average: float | None = Field(None, description="average requests/s; None: unknown, ask the user")
    needs_rps: bool = Field(False, description="derived: no request rate known yet")
    source: PatternSource = Field("user", description="log: measured; user: given; schema: a default from a foreign key")
    count: int | None = Field(None, description="executions seen in the log")
    fingerprint: str | None = None
    example: str | None = None
    statements: list[PatternStatement] = Field(default_factory=list, description="the SQL, one entry per statement")
    measured_latency_ms: float | None = Field(None, description="average MySQL execution time from the log, if it has one")
    measured_latency_p95_ms: float | None = None
    key_frequencies: dict[str, float] = Field(
        default_factory=dict, description="key column -> share of calls that hit its most frequent value")
    user_fields: list[str] = Field(default_factory=list, description="fields the user set; a log rebuild keeps them")
    notes: list[str] = Field(default_factory=list)

    @model_validator(mode="after")
    def _derive(self) -> AccessPattern:
        if not self.statements and (self.example or self.fingerprint):
            self.statements = [PatternStatement(fingerprint=self.fingerprint, example=self.example)]
        for name in ("rps_peak", "rps_average"):
            value = getattr(self, name)
            if value is not None and value < 0:
                raise ValueError(f"{name} must be >= 0")
        if self.rps_peak is not None and self.rps_average is not None and self.rps_peak < self.rps_average:
            raise ValueError("rps_peak must be >= rps_average")
        self.needs_rps = self.rps_peak is None and self.rps_average is None
        if not self.entities:
            self.entities = _tables_of(self.statements)
        return self

    @property
    def keys(self) -> list[StatementKeys]:
        return [s.keys for s in self.statements if s.keys is not None]

    @property
    def tables(self) -> list[str]:
        return self.entities

    @property
    def is_write(self) -> bool:
        return self.kind == "write"

    def sql_texts(self) -> list[str]:
        return [s.sql for s in self.statements if s.sql]


def _tables_of(statements: list[PatternStatement]) -> list[str]:
    out: list[str] = []
    for stmt in statements:
        if stmt.keys is None:
            continue
        for name in ([stmt.keys.table] if stmt.keys.table else []) + stmt.keys.tables:
            if name not in out:
                out.append(name)
    return out


def classify(statements: list[PatternStatement]) -> tuple[PatternKind, SqlOperation]:
    kinds = [s.keys.statement for s in statements if s.keys is not None]
    kind: PatternKind = "write" if any(k in ("insert", "update", "delete") for k in kinds) else "read"
    if len(statements) > 1:
        return kind, "transaction"
    return kind, (kinds[0] if kinds else "other")  # type: ignore[return-value]


def describe(statements: list[PatternStatement]) -> str:
    """A readable default description from the SQL: `select film (+language) by film_id`."""
    parts = []
    for stmt in statements:
        k = stmt.keys
        if k is None or k.parse_error or not k.table:
            parts.append("unparsed statement")
            continue
        joined = [j.table for j in k.joins if j.table and j.table != k.table]
        text = f"{k.statement} {k.table}" + (f" (+{', '.join(joined)})" if joined else "")
        if k.aggregates:
            text = f"{'/'.join(k.aggregates).lower()} of {text}"
        by = [e.column for e in k.equality] + [f"{r.column} {r.operator}" for r in k.ranges]
        if by:
            text += " by " + ", ".join(by)
        if k.order_by:
            text += " ordered by " + ", ".join(f"{o.column}{' desc' if o.direction == 'DESC' else ''}" for o in k.order_by)
        if k.limit is not None:
            text += f", limit {k.limit}"
        parts.append(text)
    return "; then ".join(parts)


class LogWindow(_Model):
    start: str | None = None
    end: str | None = None
    seconds: float | None = None


class Registry(_Model):
    patterns: list[AccessPattern] = Field(default_factory=list)
    window: LogWindow | None = Field(None, description="the query log's time window the rates were measured over")
    growth_factor: float = Field(1.0, description="multiplier applied to measured rates")
    source: str | None = Field(None, description="where the log patterns came from")

    def get(self, pattern_id: str) -> AccessPattern:
        for p in self.patterns:
            if p.id == pattern_id:
                return p
        raise NotFoundError(f"no access pattern {pattern_id!r}", where="access patterns",
                            remedy="list them with `list_access_patterns`; ids are " + (", ".join(self.ids()) or "none yet"))

    def ids(self) -> list[str]:
        return [p.id for p in self.patterns]

    def needs_rps(self) -> list[str]:
        return [p.id for p in self.patterns if p.needs_rps]

    def next_id(self) -> str:
        n = 1
        while f"AP{n}" in self.ids():
            n += 1
        return f"AP{n}"

    def summary(self) -> str:
        text = f"{len(self.patterns)} access pattern(s)"
        if self.window and self.window.seconds:
            text += f"; rates measured over a {self.window.seconds:g} s log window x{self.growth_factor:g} growth"
        missing = self.needs_rps()
        if missing:
            text += f". Needs RPS from the user: {', '.join(missing)} ({SET_RPS_HINT})"
        keyless = [n.removeprefix(KEYLESS_NOTE).strip() for p in self.patterns for n in p.notes
                   if n.startswith(KEYLESS_NOTE)]
        if keyless:
            text += ". Tables without a usable key (no design can hold them yet): " + " ".join(keyless)
        return text + "."

    def tables(self) -> list[Table]:
        rows = [[p.id, p.description, p.kind, p.operation, ", ".join(p.entities),
                 "needs RPS" if p.rps_peak is None else round(p.rps_peak, 3),
                 "needs RPS" if p.rps_average is None else round(p.rps_average, 3),
                 p.consistency, p.latency_ms, p.source] for p in self.patterns]
        return [Table("Access patterns", ["id", "description", "kind", "operation", "entities", "rps peak",
                                          "rps avg", "consistency", "latency ms", "source"], rows)]


# ---- edits -----------------------------------------------------------------------------------


RATE_REMEDY = ("give requests per second as a number >= 0 (the peak: the busiest second; the average: over a "
               "typical day), with the peak >= the average; leave the average out to use the peak for both")


def field_errors(exc: ValidationError) -> list[dict[str, str]]:
    """Each problem as {path, message}: the field path and pydantic's sentence, without its URL dump."""
    return [{"path": ".".join(str(p) for p in e["loc"]) or "(pattern)",
             "message": str(e["msg"]).removeprefix("Value error, ")} for e in exc.errors()]


def _invalid(exc: ValidationError, where: str) -> InputError:
    errors = field_errors(exc)
    return InputError("; ".join(f"{e['path']}: {e['message']}" for e in errors), where=f"{where}: {errors[0]['path']}",
                      remedy="fix the listed field(s); " + RATE_REMEDY if any("rps" in e["path"] for e in errors)
                      else "fix the listed field(s): list_access_patterns shows the fields and their values",
                      details={"errors": errors})


def check_rates(data: dict[str, Any], where: str) -> None:
    """Rates are requests per second: finite numbers >= 0, the peak not below the average."""
    for name in ("rps_peak", "rps_average"):
        value = data.get(name)
        if value is None:
            continue
        try:
            number = float(value)
        except (TypeError, ValueError):
            number = math.nan
        if isinstance(value, bool) or not math.isfinite(number) or number < 0:
            raise InputError(f"{name} {value!r} is not a request rate", where=f"{where}: {name}", remedy=RATE_REMEDY)
    peak, average = data.get("rps_peak"), data.get("rps_average")
    if peak is not None and average is not None and float(peak) < float(average):
        raise InputError(f"rps_peak {peak} is below rps_average {average}", where=f"{where}: rps_peak",
                         remedy=RATE_REMEDY)


def make_pattern(data: dict[str, Any], *, where: str = "access pattern") -> AccessPattern:
    """Validate a pattern from user input; SQL is parsed, kind/operation/description derived when absent."""
    data = {k: v for k, v in data.items() if v is not None}
    check_rates(data, where)
    sql = data.pop("sql", None)
    if sql and "statements" not in data:
        texts = [sql] if isinstance(sql, str) else list(sql)
        data["statements"] = [{"example": t} for t in texts]
    try:
        pattern = AccessPattern.model_validate(data)
    except ValidationError as exc:
        raise _invalid(exc, where) from None
    kind, operation = classify(pattern.statements) if pattern.statements else (pattern.kind, pattern.operation)
    updates: dict[str, Any] = {}
    if "kind" not in data:
        updates["kind"] = kind
    if "operation" not in data:
        updates["operation"] = operation
    if not pattern.description and pattern.statements:
        updates["description"] = describe(pattern.statements)
    return pattern.model_copy(update=updates) if updates else pattern


def add_pattern(registry: Registry, data: dict[str, Any]) -> AccessPattern:
    data = {k: v for k, v in data.items() if v is not None}
    data.setdefault("id", registry.next_id())
    if data["id"] in registry.ids():
        raise ConflictError(f"access pattern {data['id']!r} exists already", where="add_access_pattern",
                            remedy="change it with `edit_access_pattern`, or pick another id")
    data.setdefault("source", "user")
    data["user_fields"] = sorted(k for k in data if k in EDITABLE)
    pattern = make_pattern(data, where=f"access pattern {data['id']}")
    registry.patterns.append(pattern)
    return pattern


def edit_pattern(registry: Registry, pattern_id: str, changes: dict[str, Any]) -> AccessPattern:
    current = registry.get(pattern_id)
    changes = {k: v for k, v in changes.items() if v is not None}
    unknown = sorted(set(changes) - set(EDITABLE) - {"sql"})
    if unknown:
        raise InputError(f"cannot edit {', '.join(unknown)}", where=f"access pattern {pattern_id}",
                         remedy="editable fields: " + ", ".join(EDITABLE + ("sql",)))
    data = current.model_dump(exclude={"needs_rps"})
    if {"sql", "statements", "example", "fingerprint"} & set(changes):
        data.update(statements=None, fingerprint=None, example=None, entities=None)  # re-derived from the new SQL
    data.update(changes)
    data["user_fields"] = sorted(set(current.user_fields) | {k for k in changes if k in EDITABLE}
                                 | ({"statements"} if "sql" in changes else set()))
    for derived in ("kind", "operation"):
        if derived not in changes and "sql" in changes:
            data.pop(derived, None)
    pattern = make_pattern(data, where=f"access pattern {pattern_id}")
    registry.patterns[registry.ids().index(pattern_id)] = pattern
    return pattern


def set_rps(registry: Registry, pattern_id: str, rps_peak: float, rps_average: float | None = None) -> AccessPattern:
    """The user's rates; the average defaults to the peak (the conservative choice, stated in notes)."""
    changes: dict[str, Any] = {"rps_peak": rps_peak, "rps_average": rps_peak if rps_average is None else rps_average}
    pattern = edit_pattern(registry, pattern_id, changes)
    if rps_average is None:
        pattern.notes.append("average RPS not given: set to the peak")
    return pattern


def remove_pattern(registry: Registry, pattern_id: str) -> AccessPattern:
    pattern = registry.get(pattern_id)
    registry.patterns.remove(pattern)
    return pattern


def require_rps(patterns: Any, where: str = "cost") -> None:
    """Refuse a step that needs request rates while some pattern has none (rates are asked for,
    never invented)."""
    items = patterns.patterns if isinstance(patterns, Registry) else list(patterns)
    missing = [p.id for p in items if getattr(p, "needs_rps", False) or
               (getattr(p, "rps_peak", None) is None and getattr(p, "rps_average", None) is None)]
    if missing:
        raise WorkflowError(f"access pattern(s) {', '.join(missing)} have no request rate", where=where,
                            remedy=f"ask the user for the peak and average RPS of {', '.join(missing)}; {SET_RPS_HINT}",
                            details={"needs_rps": missing})


# ---- storage ---------------------------------------------------------------------------------


def load_registry(workspace: Any) -> Registry:
    """The workspace's registry; an empty one when none was built yet."""
    if not workspace.exists(ARTIFACT):
        return Registry()
    data = workspace.read_json(ARTIFACT)
    if isinstance(data, list):
        data = {"patterns": data}
    try:
        return Registry.model_validate(data)
    except ValidationError as exc:
        errors = field_errors(exc)
        raise InputError(f"{ARTIFACT} is not a valid registry: " + "; ".join(f"{e['path']}: {e['message']}"
                                                                             for e in errors[:5]),
                         where=f"{ARTIFACT}: {errors[0]['path']}", details={"errors": errors},
                         remedy="rebuild it with `build_access_patterns`, or fix the file by hand") from None


def save_registry(workspace: Any, registry: Registry) -> Stored:
    """Make `registry` the current access_patterns.json; an approved previous one is kept as a
    version and the requirements approval reads as stale (tools/modeling/versions.py)."""
    return store(workspace, ARTIFACT, registry)


_ALIASES = {"sql_example": "sql", "tables": "entities", "source_tables": "entities", "rps_avg": "rps_average",
            "latency_target_ms": "latency_ms", "consistency_requirement": "consistency"}


def as_patterns(patterns: Any) -> list[AccessPattern]:
    """AccessPatterns from a Registry, a list of models, or their JSON (common field spellings accepted)."""
    if isinstance(patterns, Registry):
        return list(patterns.patterns)
    if isinstance(patterns, dict):
        patterns = patterns.get("patterns", [])
    out = []
    for raw in patterns or []:
        if isinstance(raw, AccessPattern):
            out.append(raw)
            continue
        data = {_ALIASES.get(k, k): v for k, v in dict(raw).items()}
        known = set(AccessPattern.model_fields) | {"sql"}
        if str(data.get("kind", "")).lower() not in ("read", "write"):
            data.pop("kind", None)
        if data.get("operation") not in SqlOperation.__args__:  # type: ignore[attr-defined]
            data.pop("operation", None)
        out.append(make_pattern({k: v for k, v in data.items() if k in known}, where=f"pattern {data.get('id')}"))
    return out
