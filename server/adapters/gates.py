"""Validation gates over MCP: `review_gate` asks the user (elicitation, server/adapters/elicitation.py),
`record_approval` records an answer the assistant collected in chat for the review it fetched,
`list_approvals` shows every answer and each gate's state. Policy: tools/usecases/gates.py."""

from __future__ import annotations

from fastmcp import Context, FastMCP
from fastmcp.dependencies import CurrentContext
from fastmcp.tools.base import ToolResult

from mysql2ddb.server.adapters.arguments import clean_argument_errors
from mysql2ddb.server.adapters.common import Deps, annotations, mapped, result
from mysql2ddb.server.adapters.elicitation import ask_gate, split_concerns
from mysql2ddb.tools.usecases import gates


def register(app: FastMCP, deps: Deps) -> None:
    clean_argument_errors(app, {"review_gate", "record_approval", "list_approvals"})

    @app.tool(annotations=annotations("review_gate"))
    @mapped
    async def review_gate(gate: str, subject: str | None = None, dsn: str | None = None,
                          ctx: Context = CurrentContext()) -> ToolResult:
        """Ask the user to approve a gate and record the answer with its time. Gates, in order:
        "requirements" (the access patterns), "table:<Name>" for each table in design order (the next
        table is refused until the one before it is approved), "design", "contract". The user sees
        what they approve: per table the key layout with types, every attribute with its type and
        origin, the GSIs with their projections, the table's warnings and cost, and two example items
        built from real rows (read-only, from `dsn` or the configured database); the contract review
        adds the contract check. The user answers approved, rejected (with what must change) or
        feedback. If this client cannot ask (no elicitation), the review text and its `review_sha256`
        are returned: show the text, ask the user in chat, and record their answer with
        `record_approval(..., review_sha256=...)`."""
        req = deps.request(ctx)
        shown = await gates.show(req, gate, subject, dsn=dsn)
        answer = await ask_gate(ctx, shown.question, state={"gate": shown.gate, "sha": shown.review_sha256})
        if answer.input_required is not None:
            return answer.input_required  # type: ignore[return-value]  # 2026-07-28: the client asks, then retries
        shown.review_sha256 = (answer.state or {}).get("sha", shown.review_sha256)  # what the user saw
        if answer.status != "answered":
            status = answer.status if answer.status != "input_required" else "unsupported"
            return result(gates.not_answered(req, shown, status, answer.via))
        return result(gates.record_reviewed(req, shown, answer.decision or "feedback", answer.feedback,
                                            answer.concerns, via=answer.via))

    @app.tool(annotations=annotations("record_approval"))
    @mapped
    async def record_approval(gate: str, decision: str, review_sha256: str | None = None,
                              feedback: str | None = None, concerns: list[str] | None = None,
                              subject: str | None = None) -> ToolResult:
        """Record the user's own answer at a gate, for clients without elicitation: call it only with
        what the user said about the review you showed them, never on your own. `review_sha256`: the
        hash review_gate returned with that review (refused when missing, or when the artifact changed
        since: show the current review again). `decision`: approved, rejected or feedback. Gates:
        "requirements", "table:<Name>" (in design order), "design", "contract"."""
        return result(gates.record(deps.request(), gate, decision, review_sha256, feedback,
                                   split_concerns(concerns), subject=subject, via="record_approval"))

    @app.tool(annotations=annotations("list_approvals"))
    @mapped
    async def list_approvals() -> ToolResult:
        """Every answer recorded at the gates (oldest first, UTC times), each gate's state now (approved,
        stale when the artifact changed since its approval, rejected, feedback, not asked), the tables
        still to approve in order, and the rejections and feedback a revised design must address."""
        return result(gates.list_approvals(deps.request()))
