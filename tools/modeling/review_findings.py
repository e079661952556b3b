"""One table's share of the design checks, for its review: the production warnings about it, the
validation findings that name it (errors under its JSON path, failed principles, patterns it
serves that are not served well, item size), the contract check's findings for it, and its
monthly cost in one line."""

from __future__ import annotations

import re
from typing import Any

from mysql2ddb.tools.modeling.cost import CostReport
from mysql2ddb.tools.modeling.design import Design
from mysql2ddb.tools.modeling.validate_design import DesignValidation


def _usd(value: float) -> str:
    return "<$0.01" if 0 < value < 0.005 else f"${value:,.2f}"


def _names(text: str, table: str) -> bool:
    return re.search(rf"(?<![A-Za-z0-9_]){re.escape(table)}(?![A-Za-z0-9_])", text) is not None


def _about(subject: str, table: str) -> bool:
    """A production warning's subject: `Table`, `Table.GSI`, `Table.attr` or `Table (key)`."""
    return subject == table or subject.startswith((f"{table}.", f"{table} "))


def table_warnings(validation: DesignValidation, design: Design, table: str) -> list[str]:
    out = [f"{w.title} ({w.subject}): {w.reason}" for w in validation.warnings if _about(w.subject, table)]
    index = next((i for i, t in enumerate(design.tables) if t.name == table), None)
    if index is not None:
        prefix = f"/tables/{index}/"
        out += [f"design error at `{e.path}`: {e.message}" + (f" ({e.remedy})" if e.remedy else "")
                for e in validation.errors if e.path.startswith(prefix) or e.path == prefix[:-1]]
    out += [f"principle \"{c.name}\" not met: {c.detail}" for c in validation.principles
            if not c.ok and _names(c.detail, table)]
    served = set(design.patterns_served_by(table))
    for p in validation.patterns:
        problems = p.problems + [q for c in p.operations for q in c.problems]
        if p.pattern_id in served and (problems or not p.covered):
            state = "served" if p.covered else "NOT served"
            out.append(f"{p.pattern_id} {state}" + (f": {'; '.join(problems)}" if problems else ""))
    out += [f"item size: {s.detail}" for s in validation.item_sizes if s.table == table and not s.ok]
    return list(dict.fromkeys(out))


def cost_line(cost: CostReport, table: str, served: list[str] | None = None) -> str:
    """The table's monthly cost; `served`: its patterns, to say which have no request rate (not priced)."""
    rows = cost.for_table(table)
    if not rows:
        return "not priced: the cost model has no entry for this table"
    base = next((r for r in rows if r.index is None), rows[0])
    items = "an unknown number of items" if base.items is None else f"{base.items:,} items"
    gsis = len([r for r in rows if r.index])
    unpriced = [p for p in served or [] if p in cost.unpriced_patterns]
    covers = f"the table, its {gsis} GSI(s) and storage" if gsis else "the table and its storage"
    return (f"about {_usd(cost.table_usd(table))} a month on demand, {_usd(cost.table_usd(table, 'provisioned'))} "
            f"provisioned ({base.provisioned_rcu:,} RCU / {base.provisioned_wcu:,} WCU for the base table at "
            f"{cost.target_utilization:.0%} target utilization), covering {covers}; "
            f"{items} of about {base.item_bytes:,.0f} bytes ({base.size_source.replace('_', ' ')})"
            + (f"; not priced (no request rate): {', '.join(unpriced)}" if unpriced else ""))


def contract_findings(check: Any, index: int, label: str) -> list[str]:
    """The contract check's errors and warnings under /tables/<index>, with the path made readable."""
    prefix = f"/tables/{index}"
    out = []
    for kind, issues in (("contract error", check.errors), ("contract warning", check.warnings)):
        for issue in issues:
            if issue.path == prefix or issue.path.startswith(prefix + "/"):
                where = label + issue.path[len(prefix):]
                out.append(f"{kind} at `{where}`: {issue.message} ({issue.remedy})")
    return out


def contract_notes(check: Any) -> list[str]:
    """The contract check's verdict and the findings outside any table (each table's own are shown
    in its section)."""
    def outside(path: str) -> bool:
        return re.match(r"^/tables/\d+(/|$)", path) is None

    issues = [f"error at `{e.path or '/'}`: {e.message} ({e.remedy})" for e in check.errors if outside(e.path)]
    issues += [f"warning at `{w.path or '/'}`: {w.message} ({w.remedy})" for w in check.warnings if outside(w.path)]
    return [check.summary()] + issues
