"""The approval gates for both front ends: what each gate shows, recording the user's answer bound
to the hash of what they reviewed, and the overview of every answer and gate state.

One approval truth: `gate_state` (tools/modeling/gate_views.py) reads every answer against the
artifact as it is now; an approval of an earlier version is `stale` here, in status and in migrate.

- `review`: the gate's review text and its `review_sha256` (the hash of the artifact it shows). The
  text shows each table's key layout with types, attribute origins, GSIs, warnings, cost and two
  example items from real rows (review_extras.py); the contract review, the contract check.
- `record`: an answer given outside the question (record_approval over MCP, `gates approve` in the
  CLI). It must name the review it answers: `review_sha256` equal to the artifact's hash now.
  Missing or different, it is refused with the current review and hash, so an assistant cannot
  approve what it never fetched, nor an artifact that changed since the user saw it.
- `record_reviewed`: the answer to the question review_gate asked, bound to what was shown (an
  artifact changed meanwhile leaves it stale, and the outcome says so).
Answers are written to approvals.json in the workspace only: an approval is never consent to write
anywhere else (tools/core/consent.py).
"""

from __future__ import annotations

import asyncio
from typing import Literal

from pydantic import BaseModel, Field

from mysql2ddb.tools.core import approvals
from mysql2ddb.tools.core.access import Caller
from mysql2ddb.tools.core.errors import WorkflowError
from mysql2ddb.tools.core.render import Table
from mysql2ddb.tools.modeling import gate_views
from mysql2ddb.tools.modeling.review_text import TableExtras
from mysql2ddb.tools.usecases import review_extras
from mysql2ddb.tools.usecases.request import Request


class GateReview(BaseModel):
    gate: str
    subject: str | None = None
    text: str = Field(description="the review shown to the user (markdown)")
    question: str = Field(description="the review and the question asked")
    review_sha256: str | None = Field(None, description="hash of what the review shows; record_approval takes it")

    def summary(self) -> str:
        return f"{self.text}\n\nReview hash (`review_sha256`): `{self.review_sha256}`"

    def tables(self) -> list[Table]:
        return []


class GateOutcome(BaseModel):
    """What a gate tool did: the answer recorded, or why none was."""

    gate: str
    subject: str | None = None
    status: Literal["recorded", "declined", "cancelled", "unsupported"]
    decision: str | None = None
    feedback: str | None = None
    concerns: list[str] = Field(default_factory=list)
    via: str | None = None
    artifact_sha256: str | None = None
    review_sha256: str | None = Field(None, description="the hash of the review shown; record_approval needs it")
    state: str | None = Field(None, description="the gate's state now (gate_state)")
    stale: bool = Field(False, description="the artifact changed while the user was asked")
    time: str | None = None
    shown: str | None = Field(None, description="the review text; shown when the client cannot ask")
    next: str = ""

    def tables(self) -> list[Table]:
        rows = [["gate", self.gate], ["subject", self.subject], ["status", self.status], ["decision", self.decision],
                ["feedback", self.feedback], ["concerns", "; ".join(self.concerns)], ["via", self.via],
                ["artifact", (self.artifact_sha256 or "")[:12]], ["state now", self.state], ["time (UTC)", self.time]]
        return [Table(f"Gate {self.gate}", ["field", "value"], [r for r in rows if r[1]])]

    def summary(self) -> str:
        head = {"recorded": f"Recorded **{self.decision}** for `{self.gate}`.",
                "declined": f"The user declined to answer `{self.gate}`; nothing was recorded.",
                "cancelled": f"The question for `{self.gate}` was cancelled; nothing was recorded.",
                "unsupported": f"This client cannot ask the user for `{self.gate}` (no elicitation)."}[self.status]
        parts = [head]
        if self.stale:
            parts.append("The artifact changed while the user was being asked: the answer applies to the earlier "
                         "version, so the gate reads as stale and must be asked again.")
        if self.shown and self.status == "unsupported":
            parts.append(self.shown)
            parts.append(f"Review hash (`review_sha256`): `{self.review_sha256}`")
        if self.next:
            parts.append(f"Next: {self.next}")
        return "\n\n".join(parts)


class ApprovalsOverview(BaseModel):
    records: list[approvals.ApprovalRecord]
    states: dict[str, str] = Field(default_factory=dict, description="every gate in review order: its gate_state")
    stale: list[str] = Field(default_factory=list, description="gates approved for an artifact that changed since")
    pending_tables: list[str] = Field(default_factory=list, description="table gates not approved, in design order")
    open_feedback: list[approvals.ApprovalRecord] = Field(default_factory=list,
                                                          description="latest answers that are not approvals")

    def tables(self) -> list[Table]:
        gates = Table("Gates", ["gate", "state"], [[g, s] for g, s in self.states.items()])
        return [gates, *approvals.ApprovalLog(records=self.records).tables()]

    def summary(self) -> str:
        approved = [g for g, s in self.states.items() if s == "approved"]
        parts = [f"{len(self.records)} answer(s) recorded; approved now: {', '.join(approved) or 'none'}."]
        if self.stale:
            parts.append(f"STALE (approved, but the artifact changed since; ask again): {', '.join(self.stale)}.")
        if self.pending_tables:
            parts.append(f"Tables still to approve, in order: {', '.join(self.pending_tables)}.")
        for r in self.open_feedback:
            concerns = f" Concerns: {'; '.join(r.concerns)}." if r.concerns else ""
            parts.append(f"- `{r.gate}` {r.decision}: {r.feedback or ''}{concerns}")
        return "\n".join(parts)


def gate_name(gate: str, subject: str | None = None) -> str:
    return f"table:{subject}" if gate == "table" and subject else gate


def _extras(req: Request, gate: str, dsn: str | None) -> tuple[dict[str, TableExtras] | None, list[str] | None]:
    """Warnings, cost, examples and the contract check for `gate` (tools/usecases/review_extras.py)."""
    if gate.startswith("table:"):
        table = gate[len("table:"):]
        if gate_views.table_source(req.workspace) == gate_views.DESIGN:
            return review_extras.design_extras(req, [table], dsn), None
        extras, _ = review_extras.contract_extras(req, dsn)
        return extras, None
    if gate == "design":
        return review_extras.design_extras(req, gate_views.table_order(req.workspace), dsn, examples=False), None
    if gate == "contract":
        return review_extras.contract_extras(req, dsn)
    return None, None


def review(req: Request, gate: str, subject: str | None = None, *, dsn: str | None = None,
           full: bool = True) -> GateReview:
    """The review of `gate` (after checking it may be asked now) and the hash an answer binds to.
    `full`: with each table's warnings, cost and example items (read-only on the database: `dsn`, or
    the configured one) and the contract check; the hash is the artifact's either way."""
    name = gate_name(gate, subject)
    view = gate_views.gate_view(req.workspace, name)  # checks the gate and its order before any work
    if full:
        extras, notes = _extras(req, view.gate, dsn)
        view = gate_views.gate_view(req.workspace, name, extras=extras, notes=notes)
    return GateReview(gate=view.gate, subject=view.subject, text=view.text, question=view.question,
                      review_sha256=view.artifact_sha256)


async def show(req: Request, gate: str, subject: str | None = None, *, dsn: str | None = None) -> GateReview:
    """`review` off the event loop (it may read the database)."""
    return await asyncio.to_thread(review, req, gate, subject, dsn=dsn)


def next_step(req: Request, gate: str, decision: str | None) -> str:
    """What comes after an answer: revise on rejection, else the next gate; named as tool calls for an
    assistant, or as commands for a terminal user."""
    cli = req.caller is Caller.CLI

    def ask(g: str) -> str:
        return f"mysql2ddb gates approve {g} (or reject it with --feedback)" if cli else f"review_gate(gate='{g}')"

    if decision in ("rejected", "feedback"):
        what = "the design" if gate.startswith("table:") or gate == "design" else gate
        shown = "mysql2ddb gates list" if cli else "list_approvals"
        return f"revise {what} to address the feedback ({shown} shows it), resubmit it, then {ask(gate)} again"
    if decision != "approved":
        return (f"ask again with review_gate(gate='{gate}'), or record the user's answer with "
                "record_approval(..., review_sha256=<the review's hash>)")
    pending = gate_views.pending_tables(req.workspace) if gate.startswith("table:") else []
    if pending:
        return f"review the next table: {ask('table:' + pending[0])}"
    if gate.startswith("table:"):
        return f"approve the whole design: {ask('design')}"
    if cli:
        return {"requirements": "design the tables (mysql2ddb model recommend, or design validate your own)",
                "design": f"generate the contract (mysql2ddb model contract --dsn DSN), then {ask('contract')}",
                "contract": "run the migration (mysql2ddb migrate contract.json --dsn DSN)"}.get(gate, "")
    return {"requirements": "design the tables (recommend_design or submit_design)",
            "design": "generate the contract (generate_contract), then review_gate(gate='contract')",
            "contract": "run the migration (migrate)"}.get(gate, "")


def not_answered(req: Request, shown: GateReview, status: str, via: str) -> GateOutcome:
    """review_gate got no answer: declined, cancelled, or a client that cannot ask (then the assistant
    shows the review, asks in chat and records the answer with the review's hash)."""
    if status == "unsupported":
        how = (f"show the review text to the user, ask for their decision in chat, then call "
               f"record_approval(gate='{shown.gate}', decision=..., feedback=..., "
               f"review_sha256='{shown.review_sha256}')")
    else:
        how = next_step(req, shown.gate, None)
    return GateOutcome(gate=shown.gate, subject=shown.subject, status=status, via=via,  # type: ignore[arg-type]
                       artifact_sha256=shown.review_sha256, review_sha256=shown.review_sha256, shown=shown.text,
                       state=gate_views.gate_state(req.workspace, shown.gate), next=how)


def _recorded(req: Request, record: approvals.ApprovalRecord, stale: bool = False) -> GateOutcome:
    return GateOutcome(gate=record.gate, subject=record.subject, status="recorded", decision=record.decision,
                       feedback=record.feedback, concerns=record.concerns, via=record.via,
                       artifact_sha256=record.artifact_sha256, review_sha256=record.artifact_sha256, stale=stale,
                       state=gate_views.gate_state(req.workspace, record.gate), time=record.time,
                       next=next_step(req, record.gate, record.decision))


def record_reviewed(req: Request, shown: GateReview, decision: str, feedback: str | None,
                    concerns: list[str] | None, via: str) -> GateOutcome:
    """The user's answer to the review they were shown, bound to its hash."""
    record = approvals.record_approval(req.workspace, shown.gate, shown.subject, decision, feedback, concerns,
                                       shown.review_sha256, via=via)
    now = gate_views.current_sha256(req.workspace, shown.gate)
    return _recorded(req, record, stale=shown.review_sha256 != now)


def record(req: Request, gate: str, decision: str, review_sha256: str | None, feedback: str | None = None,
           concerns: list[str] | None = None, *, subject: str | None = None, via: str) -> GateOutcome:
    """An answer the user gave about the review with hash `review_sha256`; refused unless that is the
    artifact as it is now (see the module doc). The gate order is checked first."""
    approvals.check_decision(decision)
    current = review(req, gate, subject, full=False)  # checks the gate, its order and that there is something to answer
    if not review_sha256 or review_sha256 != current.review_sha256:
        current = review(req, gate, subject)  # the whole review, to show again
        why = ("no review hash given: an answer must name the review the user saw" if not review_sha256 else
               f"the review answered (sha256 {review_sha256[:12]}) is not `{current.gate}` as it is now "
               f"(sha256 {(current.review_sha256 or '')[:12]}): it changed since, or was never fetched")
        raise WorkflowError(why, where=f"record_approval: review_sha256 ({current.gate})",
                            remedy=f"show the user the current review (details.review, or "
                                   f"review_gate(gate='{current.gate}')), ask for their decision, then record it "
                                   f"with review_sha256='{current.review_sha256}'",
                            details={"gate": current.gate, "review": current.text,
                                     "review_sha256": current.review_sha256})
    return record_reviewed(req, current, decision, feedback, concerns, via)


def list_approvals(req: Request) -> ApprovalsOverview:
    ws = req.workspace
    states = gate_views.gate_states(ws)
    return ApprovalsOverview(records=approvals.load_approvals(ws).records, states=states,
                             pending_tables=gate_views.pending_tables(ws),
                             stale=[g for g, s in states.items() if s == "stale"],
                             open_feedback=approvals.open_feedback(ws))
