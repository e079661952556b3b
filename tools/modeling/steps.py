"""The modeling steps as the MCP tools and the CLI run them, over the workspace: build the
access-pattern registry from the log analysis (or the schema), write the context document,
recommend a design (validated), and generate the contract from the approved design (validated
against the reference schema, and the live database when a DSN is given)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from mysql2ddb.tools.core.errors import ContractError, InputError, WorkflowError
from mysql2ddb.tools.core.render import Table
from mysql2ddb.tools.contract.validate import ContractValidation
from mysql2ddb.tools.modeling import design_io
from mysql2ddb.tools.modeling.gate_views import gate_state
from mysql2ddb.tools.modeling.registry import Registry, load_registry, save_registry
from mysql2ddb.tools.modeling.validate_design import DesignValidation
from mysql2ddb.tools.modeling.versions import Stored, store

LOG_ARTIFACT = "analysis/query_log.json"
CONTRACT_ARTIFACT = "contract.json"


def require_schema(ws: Any) -> Any:
    schema = design_io.load_schema(ws)
    if schema is None:
        raise WorkflowError("the schema has not been analysed", where=design_io.SCHEMA_ARTIFACT,
                            remedy="run analyze_schema (CLI: mysql2ddb analyze schema --dsn DSN) first")
    return schema


class PatternsSaved(Registry):
    """The registry as saved, with what the save did (a version kept, approvals made stale)."""

    message: str = ""
    stored: Stored | None = None

    @classmethod
    def of(cls, registry: Registry, stored: Stored | None, message: str = "") -> "PatternsSaved":
        return cls.model_construct(**dict(registry), message=message, stored=stored)

    def summary(self) -> str:
        note = self.stored.note() if self.stored is not None else ""
        return " ".join(p for p in (self.message, super().summary(), note) if p)


def save_patterns(ws: Any, registry: Registry, message: str = "") -> PatternsSaved:
    return PatternsSaved.of(registry, save_registry(ws, registry), message)


def build_patterns(ws: Any, growth_factor: float = 1.0, source: str = "log") -> PatternsSaved:
    """Rebuild the registry: from analysis/query_log.json (rates measured over its window, times the
    growth factor; fields the user set are kept), or from the schema's keys (source='schema': every
    pattern needs its RPS from the user)."""
    from mysql2ddb.tools.modeling.registry_sources import merge_log_patterns, schema_default_patterns

    if not growth_factor > 0:
        raise InputError(f"growth factor {growth_factor} must be > 0", where="growth_factor",
                         remedy="use 1.0 for today's traffic, 1.5 for 50% growth")
    if source not in ("log", "schema"):
        raise InputError(f"unknown source {source!r}", where="source",
                         remedy="use 'log' (the query-log analysis) or 'schema' (defaults from the keys)")
    existing = load_registry(ws)
    if source == "schema":
        users = [p for p in existing.patterns if p.source == "user"]
        start = 1 + max([int(p.id[2:]) for p in users if p.id[2:].isdigit() and p.id.startswith("AP")] or [0])
        registry = Registry(patterns=users + schema_default_patterns(require_schema(ws), start=start),
                            source="schema defaults")
    else:
        if not ws.exists(LOG_ARTIFACT):
            raise WorkflowError("no query-log analysis in the workspace", where=LOG_ARTIFACT,
                                remedy="run analyze_query_log on the application's logs first, or build defaults "
                                       "from the schema (source='schema'; CLI: model patterns build --from-schema) and give each "
                                       "pattern's RPS")
        registry = merge_log_patterns(existing, ws.read_json(LOG_ARTIFACT), growth_factor, source=LOG_ARTIFACT)
    return save_patterns(ws, registry)


def write_context(ws: Any) -> Any:
    from mysql2ddb.tools.modeling.context import ARTIFACT, ContextResult, build_context

    schema = require_schema(ws)
    registry = load_registry(ws)
    log = ws.read_json(LOG_ARTIFACT) if ws.exists(LOG_ARTIFACT) else None
    ws.write_text(ARTIFACT, build_context(schema, registry, log))
    return ContextResult(path=ARTIFACT, patterns=len(registry.patterns), needs_rps=registry.needs_rps(),
                         table_count=len(getattr(schema, "tables", []) or []),
                         relationships=len(getattr(schema, "relationships", []) or []))


class Recommendation(BaseModel):
    path: str = design_io.DESIGN_ARTIFACT
    tables_count: int
    gsis: int
    notes: list[str] = Field(default_factory=list)
    needs_rps: list[str] = Field(default_factory=list, description="patterns that cannot be priced yet")
    validation: DesignValidation = Field(description="the design's validation (design_validation.json)")
    stored: Stored | None = Field(None, description="what writing design.json did (version kept, stale approvals)")

    def summary(self) -> str:
        head = (f"Recommended design written to `{self.path}`: {self.tables_count} tables, {self.gsis} GSIs. "
                "It is a rule-built baseline: review it table by table and refine it with submit_design.")
        if self.stored is not None and self.stored.note():
            head += " " + self.stored.note()
        notes = "".join(f"\n- {n}" for n in self.notes)
        if self.needs_rps:
            notes += (f"\n- No cost until the user gives the RPS of {', '.join(self.needs_rps)} "
                      "(set_pattern_rps; CLI: mysql2ddb model patterns set-rps ID --peak N --average N)")
        return head + (f"\n\nNotes:{notes}" if notes else "") + "\n\n" + self.validation.summary()

    def tables(self) -> list[Table]:
        return self.validation.tables()


def recommend(ws: Any) -> Recommendation:
    from mysql2ddb.tools.modeling.recommend import recommend_design
    from mysql2ddb.tools.modeling.validate_design import validate_design

    schema = require_schema(ws)
    registry = load_registry(ws)
    if not registry.patterns:
        raise WorkflowError("the access-pattern registry is empty", where="access_patterns.json",
                            remedy="build it (build_access_patterns) or add patterns (add_access_pattern) first")
    design = design_io.require_mapping(recommend_design(schema, registry), schema, where="recommended design")
    stored = store(ws, design_io.DESIGN_ARTIFACT, design)
    validation = validate_design(design, schema, registry.patterns, design_io.load_item_sizes(ws))
    ws.write_json(design_io.VALIDATION_ARTIFACT, validation)
    return Recommendation(tables_count=len(design.tables), gsis=sum(len(t.gsis) for t in design.tables),
                          notes=design.notes, needs_rps=registry.needs_rps(), validation=validation, stored=stored)


def unapproved_gates(ws: Any, design: Any) -> list[str]:
    """Gates not approved for the workspace's design as it is now (gate_state): each table, then the design."""
    gates = [f"table:{table.name}" for table in design.tables] + ["design"]
    return [gate for gate in gates if gate_state(ws, gate) != "approved"]


class GeneratedContract(BaseModel):
    path: str = CONTRACT_ARTIFACT
    approved_design: bool
    open_gates: list[str] = Field(default_factory=list)
    tables_count: int
    validation: ContractValidation
    stored: Stored | None = Field(None, description="what writing contract.json did (version kept, stale approvals)")

    def summary(self) -> str:
        text = f"Wrote `{self.path}` ({self.tables_count} tables) from the design. " + self.validation_text()
        if self.stored is not None and self.stored.note():
            text += " " + self.stored.note()
        if not self.approved_design:
            text += (f" The design is NOT approved ({', '.join(self.open_gates)} open): this contract is a draft "
                     "and execution will refuse it until the gates and the contract are approved.")
        else:
            text += " Next: the contract gate (review_gate(gate='contract'))."
        return text

    def validation_text(self) -> str:
        v = self.validation
        where = f" against `{v.database}`" if getattr(v, "database", None) else " (no database given: shape only)"
        return f"It validates{where}."

    def tables(self) -> list[Table]:
        return self.validation.tables()


async def generate_contract(ws: Any, dsn: Any = None, *, allow_unapproved: bool = False) -> GeneratedContract:
    from mysql2ddb.tools.contract.validate import validate_contract
    from mysql2ddb.tools.modeling.to_contract import design_to_contract

    schema = design_io.load_schema(ws)
    design = design_io.require_mapping(design_io.load_design(ws), schema, where=design_io.DESIGN_ARTIFACT)
    open_gates = unapproved_gates(ws, design)
    if open_gates and not allow_unapproved:
        raise WorkflowError(f"the design is not approved: {', '.join(open_gates)} still open", where="generate_contract",
                            remedy=f"review the gates in order, starting with review_gate(gate='{open_gates[0]}'), "
                                   "or generate a draft with allow_unapproved=true")
    contract = design_to_contract(design, schema, design_io.load_item_sizes(ws))
    validation = await validate_contract(contract.dump(), dsn)
    if not validation.valid:
        errors = [{"path": e.path, "message": e.message} for e in validation.errors]
        raise ContractError(f"the generated contract is invalid ({len(errors)} error(s)): "
                            + "; ".join(f"{e['path']}: {e['message']}" for e in errors[:5]),
                            where=CONTRACT_ARTIFACT, details={"errors": errors},
                            remedy="fix the design where it names these tables/columns, submit it again, then regenerate")
    stored = store(ws, CONTRACT_ARTIFACT, contract.dump())
    return GeneratedContract(approved_design=not open_gates, open_gates=open_gates, tables_count=len(contract.tables),
                             validation=validation, stored=stored)
