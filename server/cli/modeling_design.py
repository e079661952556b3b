"""`mysql2ddb design validate|cost|render|measure FILE`: check, price, document and measure a
DynamoDB design. The schema analysis and the access patterns come from the workspace
(analysis/schema.json, access_patterns.json) unless --schema / --patterns name other files;
measured item sizes come from --sizes or the workspace's item_sizes.json (which `measure` writes
from the data). `validate` exits 1 when the design is not valid."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Optional

import typer

from mysql2ddb.server.cli.common import EXIT_INVALID, DsnOpt, JsonOpt, emit, handle_errors, request

design_app = typer.Typer(help="DynamoDB designs: validate, price and render dynamodb_data_model.md.",
                         no_args_is_help=True)
FileArg = typer.Argument(..., help="the design JSON file")
SchemaOpt = typer.Option(None, "--schema", help="schema analysis JSON (default: the workspace's analysis/schema.json)")
PatternsOpt = typer.Option(None, "--patterns", help="access patterns JSON (default: the workspace's registry)")
SizesOpt = typer.Option(None, "--sizes", help="measured item sizes JSON {table: {avg_bytes, max_bytes, items}}")
PricesOpt = typer.Option(None, "--prices", help="price sheet JSON (default: MYSQL2DDB_PRICES_FILE or the bundled one)")


def _uc() -> Any:
    """The design use cases, imported when a command runs (`--help` stays light)."""
    from mysql2ddb.tools.usecases import modeling_design

    return modeling_design


def _run(call: Any) -> Any:
    import asyncio  # here, not at the top: --help does not need it

    return asyncio.run(call)


def _sources(file: Path, schema: Optional[Path], patterns: Optional[Path] = None,
             sizes: Optional[Path] = None) -> dict:
    return {"design_path": file, "schema_path": schema, "patterns_path": patterns, "sizes_path": sizes}


@design_app.command("validate")
@handle_errors
def validate(file: Path = FileArg, schema: Optional[Path] = SchemaOpt, patterns: Optional[Path] = PatternsOpt,
             sizes: Optional[Path] = SizesOpt, as_json: bool = JsonOpt) -> None:
    """Validate FILE: pattern coverage, mapped columns, principles, item sizes, production warnings."""
    outcome = _run(_uc().validate_design(request(), **_sources(file, schema, patterns, sizes))).result
    emit(outcome, as_json)
    if not outcome.valid:
        raise typer.Exit(EXIT_INVALID)


@design_app.command("cost")
@handle_errors
def cost(file: Path = FileArg, schema: Optional[Path] = SchemaOpt, patterns: Optional[Path] = PatternsOpt,
         sizes: Optional[Path] = SizesOpt, prices: Optional[Path] = PricesOpt,
         utilization: float = typer.Option(0.7, "--utilization", help="provisioned target utilization"),
         as_json: bool = JsonOpt) -> None:
    """Monthly cost of FILE per table and GSI, on demand and provisioned."""
    emit(_run(_uc().estimate_cost(request(), target_utilization=utilization, prices_path=prices,
                                  **_sources(file, schema, patterns, sizes))).result, as_json)


@design_app.command("render")
@handle_errors
def render(file: Path = FileArg, schema: Optional[Path] = SchemaOpt, patterns: Optional[Path] = PatternsOpt,
           sizes: Optional[Path] = SizesOpt, prices: Optional[Path] = PricesOpt,
           out: Optional[Path] = typer.Option(None, "--out", help="where to write (default: the workspace)"),
           as_json: bool = JsonOpt) -> None:
    """Write dynamodb_data_model.md for FILE."""
    emit(_run(_uc().render_data_model(request(), out=out, prices_path=prices,
                                      **_sources(file, schema, patterns, sizes))).result, as_json)


@design_app.command("measure")
@handle_errors
def measure(file: Path = FileArg, dsn: Optional[str] = DsnOpt, schema: Optional[Path] = SchemaOpt,
            prices: Optional[Path] = PricesOpt, as_json: bool = JsonOpt) -> None:
    """Measure FILE's item sizes from the data (read-only) into the workspace's item_sizes.json."""
    emit(_run(_uc().measure_item_sizes(request(), dsn=dsn, prices_path=prices,
                                       **_sources(file, schema))).result, as_json)


def register(app: typer.Typer) -> None:
    app.add_typer(design_app, name="design")
