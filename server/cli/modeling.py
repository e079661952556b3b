"""`mysql2ddb model ...`: the access-pattern registry, the context document, the recommended
design and the contract generated from the approved design, over the workspace.

    model patterns build [--growth 1.5] [--from-schema]     model patterns list
    model patterns add "description" --sql "SELECT ..."     model patterns set-rps AP3 --peak 40 --average 12
    model patterns edit AP3 --latency 20                    model patterns remove AP3
    model context        model recommend        model contract [--allow-unapproved] [--dsn DSN]
"""

from __future__ import annotations

from typing import Any, Optional

import typer

from mysql2ddb.server.cli.common import DsnOpt, JsonOpt, emit, handle_errors, request

model_app = typer.Typer(help="Modeling: access patterns, context document, recommended design, contract.",
                        no_args_is_help=True)
patterns_app = typer.Typer(help="The access-pattern registry (access_patterns.json).", no_args_is_help=True)
model_app.add_typer(patterns_app, name="patterns")

SqlOpt = typer.Option(None, "--sql", help="a SQL statement of the pattern (repeat for a transaction)")
PeakOpt = typer.Option(None, "--peak", help="peak requests per second")
AverageOpt = typer.Option(None, "--average", help="average requests per second")
ConsistencyOpt = typer.Option(None, "--consistency", help="EVENTUAL or STRONG")
LatencyOpt = typer.Option(None, "--latency", help="latency target in milliseconds")
KindOpt = typer.Option(None, "--kind", help="read or write (default: from the SQL)")
EntitiesOpt = typer.Option(None, "--entity", help="a MySQL table involved (repeatable; default: from the SQL)")


def _uc() -> Any:
    """The modeling use cases, imported when a command runs (`--help` stays light)."""
    from mysql2ddb.tools.usecases import modeling

    return modeling


@patterns_app.command("build")
@handle_errors
def build(growth: float = typer.Option(1.0, "--growth", help="multiply measured rates (1.5 = 50% growth)"),
          from_schema: bool = typer.Option(False, "--from-schema", help="no log: defaults from keys, RPS asked"),
          as_json: bool = JsonOpt) -> None:
    """Build the registry from analysis/query_log.json (or the schema's keys)."""
    emit(_uc().build_patterns(request(), growth, "schema" if from_schema else "log").result, as_json)


@patterns_app.command("list")
@handle_errors
def list_patterns(as_json: bool = JsonOpt) -> None:
    """List the registered patterns; those needing an RPS from the user are marked."""
    emit(_uc().list_patterns(request()), as_json)


@patterns_app.command("add")
@handle_errors
def add(description: str = typer.Argument(..., help="what the application does"),
        sql: Optional[list[str]] = SqlOpt, pattern_id: Optional[str] = typer.Option(None, "--id"),
        kind: Optional[str] = KindOpt, entity: Optional[list[str]] = EntitiesOpt,
        peak: Optional[float] = PeakOpt, average: Optional[float] = AverageOpt,
        consistency: Optional[str] = ConsistencyOpt, latency: Optional[float] = LatencyOpt,
        as_json: bool = JsonOpt) -> None:
    """Add a pattern; without --peak it is flagged as needing its RPS."""
    emit(_uc().add_pattern(request(), description, pattern_id=pattern_id, sql=sql, kind=kind, entities=entity,
                           rps_peak=peak, rps_average=average, consistency=consistency, latency_ms=latency).result,
         as_json)


@patterns_app.command("edit")
@handle_errors
def edit(pattern_id: str = typer.Argument(...), description: Optional[str] = typer.Option(None, "--description"),
         sql: Optional[list[str]] = SqlOpt, kind: Optional[str] = KindOpt, entity: Optional[list[str]] = EntitiesOpt,
         peak: Optional[float] = PeakOpt, average: Optional[float] = AverageOpt,
         consistency: Optional[str] = ConsistencyOpt, latency: Optional[float] = LatencyOpt,
         as_json: bool = JsonOpt) -> None:
    """Change the given fields of a pattern."""
    emit(_uc().edit_pattern(request(), pattern_id, description=description, sql=sql, kind=kind, entities=entity,
                            rps_peak=peak, rps_average=average, consistency=consistency, latency_ms=latency).result,
         as_json)


@patterns_app.command("set-rps")
@handle_errors
def set_rps_cmd(pattern_id: str = typer.Argument(...), peak: float = typer.Option(..., "--peak"),
                average: Optional[float] = AverageOpt, as_json: bool = JsonOpt) -> None:
    """Record the RPS the user gives for a pattern (average defaults to the peak)."""
    emit(_uc().set_pattern_rps(request(), pattern_id, peak, average).result, as_json)


@patterns_app.command("remove")
@handle_errors
def remove(pattern_id: str = typer.Argument(...), as_json: bool = JsonOpt) -> None:
    """Remove a pattern."""
    emit(_uc().remove_pattern(request(), pattern_id).result, as_json)


@model_app.command("context")
@handle_errors
def context(as_json: bool = JsonOpt) -> None:
    """Write mcp_context.md from the schema analysis, the registry and the log analysis."""
    emit(_uc().write_context(request()).result, as_json)


@model_app.command("recommend")
@handle_errors
def recommend(as_json: bool = JsonOpt) -> None:
    """Write a baseline design (design.json) from the schema and the patterns, and validate it."""
    emit(_uc().recommend(request()).result, as_json)


@model_app.command("contract")
@handle_errors
def contract(allow_unapproved: bool = typer.Option(False, "--allow-unapproved",
                                                   help="write a draft although the design gates are open"),
             dsn: Optional[str] = DsnOpt, as_json: bool = JsonOpt) -> None:
    """Generate contract.json from the approved design and validate it (live when a DSN is known)."""
    import asyncio

    emit(asyncio.run(_uc().generate_contract(request(), dsn, allow_unapproved=allow_unapproved)).result, as_json)


def register(app: typer.Typer) -> None:
    app.add_typer(model_app, name="model")
