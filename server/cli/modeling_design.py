"""`mysql2ddb design validate|cost|render|measure FILE`: check, price, document and measure a
DynamoDB design. The schema analysis and the access patterns come from the workspace
(analysis/schema.json, access_patterns.json) unless --schema / --patterns name other files;
measured item sizes come from --sizes or the workspace's item_sizes.json (which `measure` writes
from the data). `validate` exits 1 when the design is not valid."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Optional

import typer

from mysql2ddb.server.cli.common import (
    EXIT_INVALID, DsnOpt, JsonOpt, emit, handle_errors, resolve_dsn, settings, workspace,
)
from mysql2ddb.tools.core.errors import InputError

design_app = typer.Typer(help="DynamoDB designs: validate, price and render dynamodb_data_model.md.",
                         no_args_is_help=True)
SchemaOpt = typer.Option(None, "--schema", help="schema analysis JSON (default: the workspace's analysis/schema.json)")
PatternsOpt = typer.Option(None, "--patterns", help="access patterns JSON (default: the workspace's registry)")
SizesOpt = typer.Option(None, "--sizes", help="measured item sizes JSON {table: {avg_bytes, max_bytes, items}}")
PricesOpt = typer.Option(None, "--prices", help="price sheet JSON (default: MYSQL2DDB_PRICES_FILE or the bundled one)")


def _json(path: Path, what: str) -> Any:
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        raise InputError(f"cannot read the {what}: {exc}", where=str(path), remedy=f"give a JSON {what} file") from None


def _inputs(file: Path, schema: Optional[Path], patterns: Optional[Path], sizes: Optional[Path]) -> tuple:
    from mysql2ddb.tools.modeling import design_io

    ws = workspace()
    design = design_io.parse_design(file, where=str(file))
    schema_data = _json(schema, "schema analysis") if schema else design_io.load_schema(ws)
    if patterns:
        data = _json(patterns, "access patterns")
        pattern_data = data.get("patterns", []) if isinstance(data, dict) else data
    else:
        pattern_data = design_io.load_patterns(ws)
    size_data = _json(sizes, "item sizes") if sizes else design_io.load_item_sizes(ws)
    return design, schema_data, pattern_data, size_data


def _prices(path: Optional[Path]) -> Any:
    from mysql2ddb.tools.core.pricing import load_prices

    return load_prices(path or settings().prices_file)


@design_app.command("validate")
@handle_errors
def validate(file: Path = typer.Argument(..., help="the design JSON file"), schema: Optional[Path] = SchemaOpt,
             patterns: Optional[Path] = PatternsOpt, sizes: Optional[Path] = SizesOpt,
             as_json: bool = JsonOpt) -> None:
    """Validate FILE: pattern coverage, mapped columns, principles, item sizes, production warnings."""
    from mysql2ddb.tools.modeling.validate_design import validate_design

    design, schema_data, pattern_data, size_data = _inputs(file, schema, patterns, sizes)
    outcome = validate_design(design, schema_data, pattern_data, size_data)
    emit(outcome, as_json)
    if not outcome.valid:
        raise typer.Exit(EXIT_INVALID)


@design_app.command("cost")
@handle_errors
def cost(file: Path = typer.Argument(..., help="the design JSON file"), schema: Optional[Path] = SchemaOpt,
         patterns: Optional[Path] = PatternsOpt, sizes: Optional[Path] = SizesOpt, prices: Optional[Path] = PricesOpt,
         utilization: float = typer.Option(0.7, "--utilization", help="provisioned target utilization"),
         as_json: bool = JsonOpt) -> None:
    """Monthly cost of FILE per table and GSI, on demand and provisioned."""
    from mysql2ddb.tools.modeling.cost import estimate_cost

    design, schema_data, pattern_data, size_data = _inputs(file, schema, patterns, sizes)
    emit(estimate_cost(design, pattern_data, schema_data, size_data, _prices(prices), utilization), as_json)


@design_app.command("render")
@handle_errors
def render(file: Path = typer.Argument(..., help="the design JSON file"), schema: Optional[Path] = SchemaOpt,
           patterns: Optional[Path] = PatternsOpt, sizes: Optional[Path] = SizesOpt,
           prices: Optional[Path] = PricesOpt,
           out: Optional[Path] = typer.Option(None, "--out", help="where to write (default: the workspace)")) -> None:
    """Write dynamodb_data_model.md for FILE."""
    from mysql2ddb.tools.modeling.render_model import ARTIFACT, analyze_design, render_data_model

    design, schema_data, pattern_data, size_data = _inputs(file, schema, patterns, sizes)
    analysis = analyze_design(design, schema_data, pattern_data, size_data, _prices(prices))
    text = render_data_model(design, analysis, pattern_data)
    if out is not None:
        out.write_text(text)
        target = str(out)
    else:
        target = str(workspace().write_text(ARTIFACT, text))
    typer.echo(f"wrote {target}")


@design_app.command("measure")
@handle_errors
def measure(file: Path = typer.Argument(..., help="the design JSON file"), dsn: Optional[str] = DsnOpt,
            schema: Optional[Path] = SchemaOpt, prices: Optional[Path] = PricesOpt, as_json: bool = JsonOpt) -> None:
    """Measure FILE's item sizes from the data (read-only) into the workspace's item_sizes.json."""
    from mysql2ddb.tools.modeling import design_io
    from mysql2ddb.tools.usecases.measure_sizes import measure_item_sizes

    design = design_io.parse_design(file, where=str(file))
    schema_data = _json(schema, "schema analysis") if schema else design_io.load_schema(workspace())
    measured = measure_item_sizes(design, resolve_dsn(dsn), schema=schema_data, prices=_prices(prices))
    workspace().write_json(design_io.ITEM_SIZES_ARTIFACT, measured.item_sizes())
    emit(measured, as_json)


def register(app: typer.Typer) -> None:
    app.add_typer(design_app, name="design")
