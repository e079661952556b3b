"""What each approval gate shows the user, read from the workspace artifacts, and the order the
gates must be answered in.

- `requirements`: the access-pattern registry (access_patterns.json).
- `table:<Name>`: that table's section of the design (design.json); without a design, the table
  of contract.json. Tables are reviewed in design order: a table is not shown until every table
  before it is approved (for the section as it is now).
- `design`: the whole design, once every table is approved.
- `contract`: the contract summary, bound to the contract's sha256.

The text of each table comes from review_text.py: key layout with types, attributes with their
types and origins, GSIs with key schema and projection; the use case adds each table's warnings,
cost and example items, and the contract check (`extras`, `notes`: tools/usecases/review_extras.py).

Every view carries the hash of what it approves (`artifact_sha256`: the design section, the design
or the contract; what the review adds is extra text, outside the hash); an answer is recorded
against that hash, and `gate_state` reads an approval of another hash as `stale`.

Earlier rejections and feedback for the gate are shown with it, so a revised design can be
checked against what the user asked for.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from mysql2ddb.tools.core.errors import NotFoundError, WorkflowError
from mysql2ddb.tools.core.workspace import Workspace
from mysql2ddb.tools.contract.digest import contract_sha256
from mysql2ddb.tools.core.approvals import artifact_sha256, check_gate, latest_answer, load_approvals
from mysql2ddb.tools.modeling.review_text import (
    TableExtras, contract_table_text, design_table_text, extras_text, patterns_text,
)

DESIGN, CONTRACT, PATTERNS = "design.json", "contract.json", "access_patterns.json"


@dataclass
class GateView:
    gate: str
    subject: str | None
    text: str  # markdown shown with the question
    artifact_sha256: str | None
    previous: list[dict[str, Any]] = field(default_factory=list)  # earlier answers to this gate

    @property
    def question(self) -> str:
        return (f"{self.text}\n\nDo you approve `{self.gate}`? Answer approved, rejected (say what must change) "
                "or feedback (comments without a decision).")


def contract_hash(data: Any) -> str:
    """The contract gate's hash: the canonical contract's, or the raw JSON's when it is no contract."""
    try:
        return contract_sha256(data)
    except ValueError:  # not a valid contract: still hash what would be approved
        return artifact_sha256(data)


def _read(ws: Workspace, rel: str) -> Any:
    return ws.read_json(rel) if ws.exists(rel) else None


def table_source(ws: Workspace) -> str | None:
    """Where the tables under review come from: design.json when it has tables, else contract.json."""
    design = _read(ws, DESIGN)
    if isinstance(design, dict) and design.get("tables"):
        return DESIGN
    return CONTRACT if isinstance(_read(ws, CONTRACT), dict) else None


def table_order(ws: Workspace) -> list[str]:
    """Design order (design.json tables[].name), else contract order (contract.json tables[].table)."""
    design = _read(ws, DESIGN)
    if isinstance(design, dict) and design.get("tables"):
        return [t.get("name") for t in design["tables"] if isinstance(t, dict)]
    contract = _read(ws, CONTRACT)
    if isinstance(contract, dict):
        return [t.get("table") for t in contract.get("tables", []) if isinstance(t, dict)]
    return []


def _section(ws: Workspace, table: str) -> tuple[str, dict[str, Any]]:
    design = _read(ws, DESIGN)
    for source, data, key in ((DESIGN, design, "name"), (CONTRACT, _read(ws, CONTRACT), "table")):
        if isinstance(data, dict):
            for entry in data.get("tables", []):
                if isinstance(entry, dict) and entry.get(key) == table:
                    return source, entry
            if source == DESIGN and data.get("tables"):
                break  # a design exists: its tables are the ones to review
    order = table_order(ws)
    if not order:
        raise WorkflowError(f"there is no design to review table {table!r} from", where="workspace",
                            remedy="submit a design first (submit_design or recommend_design)")
    raise NotFoundError(f"no table {table!r} in the design", where=f"gate table:{table}",
                        remedy=f"review one of: {', '.join(order)}")


def _table_approved(ws: Workspace, table: str) -> bool:
    """Approved for the section as it is now (gate_state, the one approval truth)."""
    return gate_state(ws, f"table:{table}") == "approved"


def check_table_order(ws: Workspace, table: str) -> None:
    """Refuse table N until tables 1..N-1 are approved, naming the one to approve first."""
    order = table_order(ws)
    if table not in order:
        _section(ws, table)  # raises the right error
    for earlier in order[: order.index(table)]:
        if not _table_approved(ws, earlier):
            raise WorkflowError(
                f"table {table!r} comes after {earlier!r}, which is not approved yet",
                where=f"gate table:{table}",
                remedy=f"review and approve table {earlier!r} first: review_gate(gate='table:{earlier}')",
            )


def pending_tables(ws: Workspace) -> list[str]:
    return [t for t in table_order(ws) if not _table_approved(ws, t)]


def _previous(ws: Workspace, gate: str) -> list[dict[str, Any]]:
    return [r.model_dump() for r in load_approvals(ws).records if r.gate == gate]


def _with_history(text: str, previous: list[dict[str, Any]], sha: str | None = None) -> str:
    last = previous[-1] if previous else None
    if last and last["decision"] == "approved" and last.get("artifact_sha256") != sha:
        text += (f"\n\nApproved on {last['time'] or 'an earlier date'} in an earlier version: this version "
                 "changed since, so the approval is stale and is asked again.")
    asked = [p for p in previous if p["decision"] != "approved" and (p.get("feedback") or p.get("concerns"))]
    if not asked:
        return text
    lines = [text, "", "Earlier answers to address:"]
    for p in asked[-3:]:
        concerns = f" (concerns: {'; '.join(p['concerns'])})" if p.get("concerns") else ""
        lines.append(f"- {p['time']} {p['decision']}: {p.get('feedback') or ''}{concerns}")
    return "\n".join(lines)


def _table_text(text: str, name: Any, extras: dict[str, TableExtras] | None, examples: bool = True) -> str:
    extra = (extras or {}).get(name) if isinstance(name, str) else None
    return text + "\n" + extras_text(extra, examples=examples) if extra is not None else text


def gate_view(ws: Workspace, gate: str, subject: str | None = None, *,
              extras: dict[str, TableExtras] | None = None, notes: list[str] | None = None) -> GateView:
    """What to show for `gate`, after checking it may be asked now. `extras` (per table: warnings,
    cost, example items) and `notes` (the contract check's findings) are added to the text; the
    hash stays the artifact's own (design section, design or contract)."""
    if gate == "table" and subject:
        gate = f"table:{subject}"
    check_gate(gate)
    previous = _previous(ws, gate)
    if gate.startswith("table:"):
        table = gate[len("table:"):]
        check_table_order(ws, table)
        source, section = _section(ws, table)
        design = _read(ws, DESIGN) if source == DESIGN else None
        text = design_table_text(design, section) if design else contract_table_text(section)
        sha = artifact_sha256(section)
        return GateView(gate, table, _with_history(_table_text(text, table, extras), previous, sha), sha, previous)
    if gate == "design":
        design = _read(ws, DESIGN)
        if not isinstance(design, dict):
            raise WorkflowError("there is no design to approve", where="gate design",
                                remedy="submit a design first (submit_design or recommend_design)")
        pending = pending_tables(ws)
        if pending:
            raise WorkflowError(f"{len(pending)} table(s) not approved yet: {', '.join(pending)}", where="gate design",
                                remedy=f"review the tables in order first: review_gate(gate='table:{pending[0]}')")
        parts = [f"# Design `{design.get('name') or 'design'}`", design.get("philosophy") or ""]
        parts += [_table_text(design_table_text(design, t), t.get("name"), extras, examples=False)
                  for t in design.get("tables", []) if isinstance(t, dict)]
        sha = artifact_sha256(design)
        return GateView(gate, DESIGN, _with_history("\n\n".join(p for p in parts if p), previous, sha), sha, previous)
    if gate == "contract":
        contract = _read(ws, CONTRACT)
        if not isinstance(contract, dict):
            raise WorkflowError("there is no contract to approve", where="gate contract",
                                remedy="generate it from the approved design (generate_contract)")
        sha = contract_hash(contract)
        parts = [f"# Migration contract ({len(contract.get('tables') or [])} tables, sha256 {sha[:12]})"]
        if notes is not None:
            parts.append("\n".join(["Contract check:"] + [f"- {n}" for n in notes]))
        parts += [_table_text(contract_table_text(t), t.get("table"), extras)
                  for t in contract.get("tables") or [] if isinstance(t, dict)]
        return GateView(gate, CONTRACT, _with_history("\n\n".join(parts), previous, sha), sha, previous)
    patterns = _read(ws, PATTERNS)
    if patterns is None:
        raise WorkflowError("there are no access patterns to confirm", where="gate requirements",
                            remedy="build the registry first (build_access_patterns)")
    items = patterns.get("patterns", []) if isinstance(patterns, dict) else patterns
    sha = artifact_sha256(patterns)
    return GateView(gate, PATTERNS, _with_history(patterns_text(items), previous, sha), sha, previous)


def current_sha256(ws: Workspace, gate: str) -> str | None:
    """The hash of what `gate` approves as the workspace holds it now (None when absent)."""
    try:
        if gate.startswith("table:"):
            return artifact_sha256(_section(ws, gate[len("table:"):])[1])
        rel = {"design": DESIGN, "contract": CONTRACT, "requirements": PATTERNS}.get(gate)
        data = _read(ws, rel) if rel else None
    except (NotFoundError, WorkflowError):
        return None
    if data is None:
        return None
    return contract_hash(data) if gate == "contract" else artifact_sha256(data)


GateState = Literal["approved", "stale", "rejected", "feedback", "not asked"]


def gate_state(ws: Workspace, gate: str) -> GateState:
    """The one approval truth: the latest answer for `gate`, and whether it still holds. An approval
    of an artifact that has changed since (another hash) is `stale`, wherever it is shown."""
    record = latest_answer(ws, gate)
    if record is None:
        return "not asked"
    if record.decision != "approved":
        return record.decision
    current = current_sha256(ws, gate)
    if record.artifact_sha256 is None or current is None or record.artifact_sha256 != current:
        return "stale"
    return "approved"


def gates_in_order(ws: Workspace) -> list[str]:
    """Every gate in the order it is asked (requirements, each table in design order, design,
    contract), then gates answered earlier that no longer exist (a table since removed)."""
    try:
        tables = [f"table:{t}" for t in table_order(ws)]
    except (NotFoundError, WorkflowError):
        tables = []
    gates = ["requirements", *tables, "design", "contract"]
    return gates + [g for g in dict.fromkeys(r.gate for r in load_approvals(ws).records) if g not in gates]


def gate_states(ws: Workspace) -> dict[str, GateState]:
    return {gate: gate_state(ws, gate) for gate in gates_in_order(ws)}
