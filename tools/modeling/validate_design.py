"""Validate a DynamoDB design against the MySQL schema, the access patterns and the measured
item sizes. Nothing is taken on the design's word: coverage is computed per pattern from the
key schemas (tools/modeling/coverage.py), every source table and column is accounted for,
principles are checked, the five production warnings are raised only when their condition
holds (tools/modeling/production_warnings.py), and what the assistant should do next comes back as
enhancement requests with the subjects named."""

from __future__ import annotations

from typing import Any, Iterable

from pydantic import BaseModel, Field

from mysql2ddb.tools.core.render import Table
from mysql2ddb.tools.modeling.coverage import PatternCoverage, pattern_coverage
from mysql2ddb.tools.modeling.design import Design
from mysql2ddb.tools.modeling.design_checks import Issue, reference_issues, structure_issues, unmapped
from mysql2ddb.tools.modeling.hot_partitions import HotPartitionReport, analyze_hot_partitions
from mysql2ddb.tools.modeling.inputs import patterns_facts, schema_facts
from mysql2ddb.tools.modeling.sizes import ITEM_LIMIT_BYTES, resolve_item_sizes
from mysql2ddb.tools.modeling.production_warnings import ProductionWarning, mixed_key_tables, production_warnings
from mysql2ddb.tools.modeling.unique_decisions import UniqueDecision, unique_decisions, unique_summary, unique_tables
from mysql2ddb.tools.modeling.unique_keys import complete_guards, guard_tables

GENERIC_KEY_NAMES = {"pk", "sk", "id", "key", "hash", "range"}


class PrincipleCheck(BaseModel):
    name: str
    ok: bool
    detail: str


class SizeCheck(BaseModel):
    table: str
    avg_bytes: float
    max_bytes: float | None
    source: str
    ok: bool
    detail: str = ""


class Enhancement(BaseModel):
    code: str
    detail: str
    subjects: list[str] = Field(default_factory=list)


class DesignValidation(BaseModel):
    valid: bool
    design: str
    errors: list[Issue] = Field(default_factory=list, description="structural errors, each with a JSON pointer")
    patterns: list[PatternCoverage] = Field(default_factory=list)
    unmapped_tables: list[str] = Field(default_factory=list)
    unmapped_columns: list[str] = Field(default_factory=list)
    principles: list[PrincipleCheck] = Field(default_factory=list)
    item_sizes: list[SizeCheck] = Field(default_factory=list)
    warnings: list[ProductionWarning] = Field(default_factory=list)
    unique_constraints: list[UniqueDecision] = Field(
        default_factory=list, description="every UNIQUE key of a mapped table: how it is kept, and the cost")
    enhancements: list[Enhancement] = Field(default_factory=list)

    @property
    def uncovered(self) -> list[str]:
        return [p.pattern_id for p in self.patterns if not p.covered]

    @property
    def scans(self) -> list[str]:
        return [p.pattern_id for p in self.patterns if p.scan]

    def coverage(self, pattern_id: str) -> PatternCoverage | None:
        return next((p for p in self.patterns if p.pattern_id == pattern_id), None)

    def summary(self) -> str:
        covered = sum(p.covered for p in self.patterns)
        head = (f"Design {self.design}: {'valid' if self.valid else 'NOT valid'}. {covered}/{len(self.patterns)} "
                f"access patterns served" + (f" ({', '.join(self.scans)} by Scan)" if self.scans else "") + ".")
        parts = [head]
        if self.errors:
            parts.append(f"{len(self.errors)} error(s): " + "; ".join(f"{e.path}: {e.message}" for e in self.errors[:10]))
        for p in self.patterns:
            if not p.covered:
                probs = p.problems + [q for c in p.operations for q in c.problems]
                parts.append(f"{p.pattern_id} not served: " + "; ".join(probs))
        if self.unmapped_tables or self.unmapped_columns:
            parts.append("Neither mapped nor dropped: " + ", ".join(self.unmapped_tables + self.unmapped_columns))
        parts += unique_summary(self.unique_constraints)
        if self.warnings:
            parts.append(f"{len(self.warnings)} production warning(s): "
                         + "; ".join(f"{w.title} ({w.subject})" for w in self.warnings) + ".")
        if self.enhancements:
            parts.append("Next: " + "; ".join(f"{e.code} ({', '.join(e.subjects)})" if e.subjects else e.code
                                              for e in self.enhancements))
        return "\n\n".join(parts)

    def tables(self) -> list[Table]:
        return [
            Table("Access pattern coverage", ["pattern", "served", "scan", "served by", "problems"],
                  [[p.pattern_id, "yes" if p.covered else "NO", "SCAN" if p.scan else "", p.served_by,
                    "; ".join(p.problems + [q for c in p.operations for q in c.problems])] for p in self.patterns]),
            Table("Design principles", ["principle", "ok", "detail"],
                  [[c.name, "yes" if c.ok else "NO", c.detail] for c in self.principles]),
            Table("Item sizes", ["table", "avg bytes", "max bytes", "source", "ok", "detail"],
                  [[s.table, round(s.avg_bytes), "?" if s.max_bytes is None else round(s.max_bytes), s.source,
                    "yes" if s.ok else "NO", s.detail] for s in self.item_sizes]),
        ] + unique_tables(self.unique_constraints) + ([Table("Production warnings", ["warning", "subject", "reason"],
                    [[w.title, w.subject, w.reason] for w in self.warnings])] if self.warnings else []) \
          + ([Table("Errors", ["path", "message", "remedy"],
                    [[e.path, e.message, e.remedy or ""] for e in self.errors])] if self.errors else [])


def _size_checks(design: Design, facts: Any, item_sizes: dict[str, Any] | None) -> list[SizeCheck]:
    out = []
    for name, size in resolve_item_sizes(design.tables, facts, item_sizes).items():
        ok = size.largest <= ITEM_LIMIT_BYTES
        detail = "" if ok else f"items up to {size.largest:,.0f} bytes exceed DynamoDB's 400 KB limit"
        if ok and size.max_bytes is None:
            detail = "only an average is known; the largest item is unmeasured"
        out.append(SizeCheck(table=name, avg_bytes=size.avg_bytes, max_bytes=size.max_bytes, source=size.source,
                             ok=ok, detail=detail))
    return out


def _own_key(table: Any, facts: Any) -> bool:
    """The table's key attribute is a plain copy of a primary-key column of its own source table
    (a table keyed by its own `id` is keyed naturally, whatever the column is called)."""
    entity = table.entities[0] if table.entities else None
    attr = entity.attribute(table.partition_key.attribute) if entity else None
    if attr is None or not attr.is_plain or len(attr.source_columns) != 1:
        return False
    column = attr.source_columns[0].lower()
    source = facts.table(entity.source_table)
    if source is not None and source.primary_key:
        return column in {c.lower() for c in source.primary_key}
    return column == table.partition_key.attribute.lower()  # no schema facts: a column named as the key


def _principles(design: Design, result: DesignValidation, hot_rps: float, facts: Any) -> list[PrincipleCheck]:
    mixed = [t.name for t in mixed_key_tables(design) if t.name not in guard_tables(design)]
    multi = [t.name for t in design.tables if t.is_multi_entity]
    generic = [t.name for t in design.tables if not t.is_multi_entity
               and (t.partition_key.template or (t.partition_key.attribute.lower() in GENERIC_KEY_NAMES
                                                 and not _own_key(t, facts)))]
    hot_scans = [p.pattern_id for p in result.patterns if p.scan and p.hot]
    projection = [p.pattern_id for p in result.patterns for c in p.operations
                  if any("projects" in q for q in c.problems)]
    strong = [p.pattern_id for p in result.patterns for c in p.operations
              if any("strongly consistent" in q for q in c.problems)]
    copied = [f"{t.name}.{a.name}" for t in design.tables for e in t.entities for a in e.attributes
              if a.denormalized and not a.justification
              and not any(d.table == t.name and a.name in d.attributes for d in design.denormalizations)]
    big = [s.table for s in result.item_sizes if not s.ok]
    return [
        PrincipleCheck(name="multi-table first", ok=design.approach == "multi-table" and not mixed,
                       detail=(f"approach is {design.approach}" if design.approach != "multi-table" else
                               f"{', '.join(mixed)} mix entities under different partition keys" if mixed else
                               f"{len(design.tables)} tables" + (f"; item collections in {', '.join(multi)}"
                                                                  if multi else ""))),
        PrincipleCheck(name="natural keys", ok=not generic,
                       detail=f"generic or templated keys on single-entity tables: {', '.join(generic)}" if generic
                       else "single-entity tables are keyed by their natural ids"),
        PrincipleCheck(name="no Scan on a hot path", ok=not hot_scans,
                       detail=f"served by Scan at >= {hot_rps:g} rps peak (or unknown rate): {', '.join(hot_scans)}"
                       if hot_scans else "no busy pattern scans"),
        PrincipleCheck(name="GSI projections cover their queries", ok=not projection,
                       detail=f"patterns needing attributes the index lacks: {', '.join(projection)}" if projection
                       else "every index query finds its attributes in the projection"),
        PrincipleCheck(name="strong reads from the base table", ok=not strong,
                       detail=f"STRONG patterns read eventually or from a GSI: {', '.join(strong)}" if strong
                       else "consistency requirements met"),
        PrincipleCheck(name="items under 400 KB", ok=not big,
                       detail=f"too large: {', '.join(big)}" if big else "every table's items fit"),
        PrincipleCheck(name="denormalization justified", ok=not copied,
                       detail=f"copies without a justification: {', '.join(copied)}" if copied
                       else "every copied attribute says why"),
    ]


def _enhancements(result: DesignValidation, pats: list, sizes: list[SizeCheck],
                  hot: HotPartitionReport) -> list[Enhancement]:
    out: list[Enhancement] = []

    def add(code: str, detail: str, subjects: list[str]) -> None:
        if subjects:
            out.append(Enhancement(code=code, detail=detail, subjects=list(dict.fromkeys(subjects))))

    add("REQUEST_MISSING_PATTERN_MAPPING", "map each of these patterns to requests its key schema can serve",
        result.uncovered)
    add("REQUEST_DETAILED_COST_BREAKDOWN", "give request rates for these patterns and measured item sizes for "
        "these tables so the cost is not a guess",
        [p.id for p in pats if not p.priced] + [s.table for s in sizes if s.source != "measured"])
    add("REQUEST_ENTITY_MAPPING", "map these tables/columns into the design or drop them with a reason",
        result.unmapped_tables + result.unmapped_columns)
    add("REQUEST_SCAN_REPLACEMENT", "serve these patterns with a Query on a table or GSI instead of a Scan",
        [p.pattern_id for p in result.patterns if p.scan and p.hot])
    failed = {c.name: c for c in result.principles if not c.ok}
    if "GSI projections cover their queries" in failed:
        add("REQUEST_PROJECTION_FIX", failed["GSI projections cover their queries"].detail,
            [p.pattern_id for p in result.patterns for c in p.operations if any("projects" in q for q in c.problems)])
    add("REQUEST_ITEM_SIZE_REDUCTION", "split or trim items that exceed 400 KB", [s.table for s in sizes if not s.ok])
    add("REQUEST_HOT_PARTITION_MITIGATION", "shard or cache these partition keys", [k.name for k in hot.hot])
    if "denormalization justified" in failed:
        add("REQUEST_DENORMALIZATION_JUSTIFICATION", "say why each copy exists and how it stays current",
            failed["denormalization justified"].detail.split(": ", 1)[1].split(", "))
    add("REQUEST_UNIQUE_CONSTRAINT_DECISION", "say how each of these UNIQUE keys is kept (tables[].unique_constraints: "
        "guard_item or not_enforced with a justification)",
        [u.subject for u in result.unique_constraints if not u.declared and u.enforced_by == "not_enforced"])
    add("REQUEST_GUARD_WRITES", "write the guard items of these UNIQUE keys in the transactions that change them",
        [u.subject for u in result.unique_constraints if u.problems and u.enforced_by == "guard_item"])
    add("REQUEST_ERROR_FIXES", "fix the structural errors at these paths", [e.path for e in result.errors])
    return out


def _missing_inputs(facts: Any, pats: list) -> list[Enhancement]:
    out = []
    if not facts.tables:
        out.append(Enhancement(code="REQUEST_SCHEMA_ANALYSIS", detail="run analyze_schema: without the schema, "
                               "MySQL references, column coverage and key skew are unchecked"))
    if not pats:
        out.append(Enhancement(code="REQUEST_ACCESS_PATTERNS", detail="build the access-pattern registry: "
                               "without patterns, coverage and cost cannot be computed"))
    return out


def validate_design(design: Design, schema: Any, patterns: Iterable[Any] | None,
                    item_sizes: dict[str, Any] | None = None, *, hot_rps: float = 1.0,
                    frequent_write_rps: float = 0.0, watch_fraction: float = 0.5,
                    heavy_denormalization: int = 3) -> DesignValidation:
    """`schema`: SchemaAnalysis(-like), its JSON, or a Catalog. `patterns`: AccessPattern(-like)
    list. `item_sizes`: {design table: {avg_bytes, max_bytes, items}} measured by the caller."""
    facts = schema_facts(schema)
    pats = patterns_facts(patterns)
    design = complete_guards(design)  # guard tables the unique_constraints declare, as the contract will hold them
    result = DesignValidation(valid=False, design=design.name)
    result.errors = structure_issues(design, [p.id for p in pats]) + reference_issues(design, facts)
    result.unique_constraints, unique_issues = unique_decisions(design, schema, pats)
    result.errors += unique_issues
    result.patterns = [pattern_coverage(design, p, facts, hot_rps) for p in pats]
    if facts.tables:
        result.unmapped_tables, result.unmapped_columns = unmapped(design, facts)
    result.item_sizes = _size_checks(design, facts, item_sizes)
    result.principles = _principles(design, result, hot_rps, facts)
    hot = analyze_hot_partitions(design, facts, pats, item_sizes, watch_fraction=watch_fraction)
    result.warnings = production_warnings(design, facts, pats, hot, frequent_rps=frequent_write_rps,
                                          heavy_denormalization=heavy_denormalization)
    result.enhancements = _missing_inputs(facts, pats) + _enhancements(result, pats, result.item_sizes, hot)
    result.valid = (facts.tables != {} and bool(pats) and not result.errors and not result.uncovered and not result.unmapped_tables
                    and not result.unmapped_columns and all(s.ok for s in result.item_sizes)
                    and not any(p.scan and p.hot for p in result.patterns))
    return result
