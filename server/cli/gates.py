"""`mysql2ddb gates approve|reject|list`: the approval gates for terminal users (chat users
answer them through `review_gate` or `record_approval`). Each answer is recorded with its time
and, for the contract, the hash of the contract it approves."""

from __future__ import annotations

from typing import Optional

import typer

from mysql2ddb.server.cli.common import JsonOpt, emit, handle_errors, workspace

gates_app = typer.Typer(help="Approval gates: requirements, table:<Name>, design, contract.", no_args_is_help=True)


def _record(gate: str, decision: str, feedback: Optional[str], concerns: list[str], as_json: bool) -> None:
    """Same rules as the MCP tools: gate order, and the answer bound to the hash of what it approves."""
    from mysql2ddb.tools.modeling.gate_views import record_answer

    emit(record_answer(workspace(), gate, decision, feedback, concerns, via="cli"), as_json)


@gates_app.command("approve")
@handle_errors
def approve(gate: str, feedback: Optional[str] = typer.Option(None, "--feedback"),
            concern: list[str] = typer.Option([], "--concern", help="a concern to record with the approval"),
            as_json: bool = JsonOpt) -> None:
    """Approve a gate (for `contract`: the workspace's contract.json as it is now)."""
    _record(gate, "approved", feedback, concern, as_json)


@gates_app.command("reject")
@handle_errors
def reject(gate: str, feedback: str = typer.Option(..., "--feedback", help="what must change"),
           concern: list[str] = typer.Option([], "--concern"), as_json: bool = JsonOpt) -> None:
    """Reject a gate with the feedback the revised design must address."""
    _record(gate, "rejected", feedback, concern, as_json)


@gates_app.command("list")
@handle_errors
def list_gates(as_json: bool = JsonOpt) -> None:
    """Every recorded answer, the tables still pending in order, and open feedback."""
    from mysql2ddb.tools.modeling.gate_views import overview

    emit(overview(workspace()), as_json)


def register(app: typer.Typer) -> None:
    app.add_typer(gates_app, name="gates")
