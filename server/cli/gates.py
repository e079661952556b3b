"""`mysql2ddb gates approve|reject|list`: the approval gates for terminal users (chat users answer
them through `review_gate` or `record_approval`). `approve` and `reject` show the gate's review,
then record the answer bound to the hash of what was shown (tools/usecases/gates.py)."""

from __future__ import annotations

from typing import Optional

import typer

from mysql2ddb.server.cli.common import DsnOpt, JsonOpt, emit, handle_errors, request

gates_app = typer.Typer(help="Approval gates: requirements, table:<Name>, design, contract.", no_args_is_help=True)


def _answer(gate: str, decision: str, feedback: Optional[str], concerns: list[str], as_json: bool,
            dsn: Optional[str] = None) -> None:
    from rich.console import Console
    from rich.markdown import Markdown

    from mysql2ddb.tools.usecases import gates

    req = request()
    shown = gates.review(req, gate, dsn=dsn)
    console = Console(stderr=as_json)  # stdout carries only the JSON with --json
    console.print(Markdown(shown.text) if console.is_terminal else shown.text, markup=False)
    emit(gates.record(req, shown.gate, decision, shown.review_sha256, feedback, concerns, via="cli"), as_json)


@gates_app.command("approve")
@handle_errors
def approve(gate: str, feedback: Optional[str] = typer.Option(None, "--feedback"),
            concern: list[str] = typer.Option([], "--concern", help="a concern to record with the approval"),
            dsn: Optional[str] = DsnOpt, as_json: bool = JsonOpt) -> None:
    """Show GATE's review (with example items from DSN's real rows) and approve what it shows (for
    `contract`: contract.json as it is now)."""
    _answer(gate, "approved", feedback, concern, as_json, dsn)


@gates_app.command("reject")
@handle_errors
def reject(gate: str, feedback: str = typer.Option(..., "--feedback", help="what must change"),
           concern: list[str] = typer.Option([], "--concern"), dsn: Optional[str] = DsnOpt,
           as_json: bool = JsonOpt) -> None:
    """Reject a gate with the feedback the revised design must address."""
    _answer(gate, "rejected", feedback, concern, as_json, dsn)


@gates_app.command("list")
@handle_errors
def list_gates(as_json: bool = JsonOpt) -> None:
    """Every recorded answer, each gate's state (stale: approved before the artifact changed), the tables
    still pending in order, and open feedback."""
    from mysql2ddb.tools.usecases import gates

    emit(gates.list_approvals(request()), as_json)


def register(app: typer.Typer) -> None:
    app.add_typer(gates_app, name="gates")
