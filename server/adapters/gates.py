"""Validation gates over MCP: `review_gate` asks the user, `record_approval` records an answer the
assistant collected in chat, `list_approvals` shows every answer and what is still open.

`ask_gate` is the one way a tool asks, on both MCP protocol eras:
- handshake era (<= 2025-11-25): `ctx.elicit(...)` sends elicitation/create over the session and
  waits for the answer inside the same tool call;
- 2026-07-28: there is no server-initiated request. The tool returns an `InputRequiredResult`
  carrying the elicitation request (and a small request_state); the client asks the user and
  calls the same tool again with `input_responses`, where `ask_gate` finds the answer.
Clients that declare no elicitation capability get status "unsupported": the tool shows the review
text and tells the assistant to ask in chat and call `record_approval`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Literal

import mcp_types
from fastmcp import Context, FastMCP
from fastmcp.dependencies import CurrentContext
from fastmcp.server.elicitation import parse_elicit_response_type
from fastmcp.tools.base import ToolResult
from mcp_types.version import MODERN_PROTOCOL_VERSIONS
from pydantic import BaseModel, Field, ValidationError

from mysql2ddb.server.adapters.common import Deps, annotations, mapped, result
from mysql2ddb.tools.core.errors import InputError
from mysql2ddb.tools.core import approvals
from mysql2ddb.tools.modeling import gate_views


class GateForm(BaseModel):
    """The form shown at every gate (flat primitives, as elicitation requires)."""

    decision: Literal["approved", "rejected", "feedback"] = Field(
        title="Decision", description="approved: go on; rejected: revise it; feedback: comments, no decision yet")
    feedback: str = Field("", title="Feedback", description="what should change, or any comment")
    concerns: str = Field("", title="Concerns", description="one concern per line (kept with the answer)")


@dataclass
class GateAnswer:
    """The user's answer, or why there is none yet. On a 2026-07-28 first round `input_required`
    is set: the tool must return it as its result."""

    status: Literal["answered", "declined", "cancelled", "unsupported", "input_required"]
    via: str  # "elicitation" | "input-required" | "none"
    decision: str | None = None
    feedback: str | None = None
    concerns: list[str] = field(default_factory=list)
    state: dict[str, Any] | None = None  # request_state echoed on the 2026-07-28 retry
    input_required: mcp_types.InputRequiredResult | None = None


def protocol_version(ctx: Context | None) -> str | None:
    rc = ctx.request_context if ctx is not None else None
    return rc.protocol_version if rc is not None else None


def can_elicit(ctx: Context | None) -> bool:
    try:
        capabilities = ctx.session.client_capabilities if ctx is not None else None
    except RuntimeError:  # no session (e.g. outside a request)
        return False
    return capabilities is not None and capabilities.elicitation is not None


def _split(concerns: str | list[str] | None) -> list[str]:
    if isinstance(concerns, list):
        return [c.strip() for c in concerns if c and c.strip()]
    return [c.strip() for c in (concerns or "").replace(";", "\n").splitlines() if c.strip()]


def _answered(data: Any, form: type[BaseModel], via: str, state: dict[str, Any] | None) -> GateAnswer:
    try:
        answer = data if isinstance(data, form) else form.model_validate(data or {})
    except ValidationError as exc:
        raise InputError(f"the answer does not fit the gate form: {exc.errors()[0]['msg']}", where="gate answer",
                         remedy="answer with decision approved, rejected or feedback") from None
    values = answer.model_dump()
    return GateAnswer("answered", via, decision=values.get("decision"), feedback=values.get("feedback") or None,
                      concerns=_split(values.get("concerns")), state=state)


async def ask_gate(ctx: Context | None, question: str, *, form: type[BaseModel] = GateForm, key: str = "gate",
                   state: dict[str, Any] | None = None) -> GateAnswer:
    """Ask the user `question` with `form`, on whichever protocol era the connection speaks."""
    if not can_elicit(ctx):
        return GateAnswer("unsupported", "none")
    assert ctx is not None
    if protocol_version(ctx) in MODERN_PROTOCOL_VERSIONS:
        responses = ctx.input_responses
        if responses and key in responses:  # the retry: the client brings the answer
            echoed = json.loads(ctx.request_state) if ctx.request_state else None
            response = responses[key]
            if not isinstance(response, mcp_types.ElicitResult):
                return GateAnswer("unsupported", "input-required", state=echoed)
            if response.action != "accept":
                status = "declined" if response.action == "decline" else "cancelled"
                return GateAnswer(status, "input-required", state=echoed)
            return _answered(response.content, form, "input-required", echoed)
        schema = parse_elicit_response_type(form).schema
        request = mcp_types.ElicitRequest(params=mcp_types.ElicitRequestFormParams(message=question,
                                                                                   requested_schema=schema))
        ask = mcp_types.InputRequiredResult(input_requests={key: request}, request_state=json.dumps(state or {}))
        return GateAnswer("input_required", "input-required", state=state, input_required=ask)
    outcome = await ctx.elicit(question, form)
    if outcome.action == "accept":
        return _answered(outcome.data, form, "elicitation", state)
    return GateAnswer("declined" if outcome.action == "decline" else "cancelled", "elicitation", state=state)


def register(app: FastMCP, deps: Deps) -> None:
    ws = deps.workspace

    def gate_name(gate: str, subject: str | None) -> str:
        return f"table:{subject}" if gate == "table" and subject else gate

    @app.tool(annotations=annotations("review_gate"))
    @mapped
    async def review_gate(gate: str, subject: str | None = None, ctx: Context = CurrentContext()) -> ToolResult:
        """Ask the user to approve a gate and record the answer with its time. Gates, in order:
        "requirements" (the access patterns), "table:<Name>" for each table in design order (the next
        table is refused until the one before it is approved), "design", "contract". The user sees
        that part of the design (or the contract summary) and answers approved, rejected (with what
        must change) or feedback. If this client cannot ask (no elicitation), the review text is
        returned: show it, ask the user in chat, and record their answer with `record_approval`."""
        view = gate_views.gate_view(ws, gate_name(gate, subject))
        answer = await ask_gate(ctx, view.question, state={"gate": view.gate, "sha": view.artifact_sha256})
        if answer.input_required is not None:
            return answer.input_required  # type: ignore[return-value]  # 2026-07-28: the client asks, then retries
        shown_sha = (answer.state or {}).get("sha", view.artifact_sha256)
        if answer.status != "answered":
            status = answer.status if answer.status != "input_required" else "unsupported"
            next_text = ("show the review text to the user, ask for their decision in chat, then call "
                         f"record_approval(gate='{view.gate}', decision=..., feedback=...)"
                         if status == "unsupported" else gate_views.next_step(ws, view.gate, None))
            outcome = gate_views.GateOutcome(gate=view.gate, subject=view.subject, status=status, via=answer.via,
                                             artifact_sha256=view.artifact_sha256, shown=view.text, next=next_text)
            return result(outcome)
        record = approvals.record_approval(ws, view.gate, view.subject, answer.decision or "feedback", answer.feedback,
                                           answer.concerns, shown_sha, via=answer.via)
        outcome = gate_views.GateOutcome(
            gate=record.gate, subject=record.subject, status="recorded", decision=record.decision,
            feedback=record.feedback, concerns=record.concerns, via=record.via, artifact_sha256=record.artifact_sha256,
            stale=shown_sha != gate_views.current_sha256(ws, record.gate), time=record.time,
            next=gate_views.next_step(ws, record.gate, record.decision))
        return result(outcome)

    @app.tool(annotations=annotations("record_approval"))
    @mapped
    async def record_approval(gate: str, decision: str, feedback: str | None = None,
                              concerns: list[str] | None = None, subject: str | None = None) -> ToolResult:
        """Record the user's own answer at a gate, for clients without elicitation: call it only with
        what the user said, never on your own. `decision`: approved, rejected or feedback. Gates:
        "requirements", "table:<Name>" (in design order), "design", "contract" (bound to the
        contract's hash: editing contract.json afterwards withdraws the approval)."""
        outcome = gate_views.record_answer(ws, gate_name(gate, subject), decision, feedback, _split(concerns),
                                           via="record_approval")
        return result(outcome)

    @app.tool(annotations=annotations("list_approvals"))
    @mapped
    async def list_approvals() -> ToolResult:
        """Every answer recorded at the gates (oldest first, UTC times), the tables still to approve in
        order, and the rejections and feedback a revised design must address."""
        return result(gate_views.overview(ws))
