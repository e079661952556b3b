"""Asking the user from inside a tool call, on both MCP protocol eras (the gates use it).

- handshake era (<= 2025-11-25): `ctx.elicit(...)` sends elicitation/create over the session and
  waits for the answer inside the same tool call;
- 2026-07-28: there is no server-initiated request. The tool returns an `InputRequiredResult`
  carrying the elicitation request (and a small request_state); the client asks the user and
  calls the same tool again with `input_responses`, where `ask_gate` finds the answer.
Clients that declare no elicitation capability get status "unsupported".
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Literal

import mcp_types
from fastmcp import Context
from fastmcp.server.elicitation import parse_elicit_response_type
from mcp_types.version import MODERN_PROTOCOL_VERSIONS
from pydantic import BaseModel, Field, ValidationError

from mysql2ddb.tools.core.errors import InputError


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


def split_concerns(concerns: str | list[str] | None) -> list[str]:
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
                      concerns=split_concerns(values.get("concerns")), state=state)


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
