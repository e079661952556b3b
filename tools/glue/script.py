"""Generating the Glue ETL job from a contract: the Spark script (jinja2, prompts/glue_job.py.j2),
the shipped conversion module, and per-table specs with their JDBC partitioning chosen from the data."""

from __future__ import annotations

import hashlib
import json
import math
from pathlib import Path
from typing import Any

from sqlglot import exp

from mysql2ddb import __version__
from mysql2ddb.prompts import render
from mysql2ddb.tools.core import sql
from mysql2ddb.tools.contract.model import Contract
from mysql2ddb.tools.core.db import Dsn, sync_connection

OPTIONAL_ARGS = ("connection_name", "secret_id", "aws_endpoint_url")
CONVERT_MODULE = Path(__file__).resolve().parents[1] / "execution" / "convert.py"
SHIPPED_CONVERT_NAME = "mysql2ddb_convert.py"
_INTEGER_TYPES = {"tinyint", "smallint", "mediumint", "int", "integer", "bigint", "year"}


def contract_sha256(contract: Contract) -> str:
    return hashlib.sha256(json.dumps(contract.dump(), sort_keys=True).encode()).hexdigest()


def render_job_script(contract: Contract) -> str:
    return render("glue_job.py.j2", version=__version__, contract_sha256=contract_sha256(contract),
                  optional_args=list(OPTIONAL_ARGS))


def convert_module_source() -> str:
    return CONVERT_MODULE.read_text(encoding="utf-8")


def _integer_column(spec: dict[str, Any]) -> str | None:
    """An integer view column to split JDBC reads on: the key when numeric, else the first integer."""
    columns = spec["columns"]
    by_name = {c["name"]: c for c in columns}
    for name in (spec.get("pk"), spec.get("sk")):
        col = by_name.get(name or "")
        if col and str(col.get("mysql_type", "")).lower() in _INTEGER_TYPES:
            return name
    for col in columns:
        if str(col.get("mysql_type", "")).lower() in _INTEGER_TYPES:
            return col["name"]
    return None


def choose_partitioning(spec: dict[str, Any], dsn: Dsn, rows_per_partition: int = 100_000) -> dict[str, Any]:
    """Partition column, bounds and count from the view's data: ceil(rows / rows_per_partition)
    partitions over [min, max] of an integer column; without one, a repartition after the read."""
    column = _integer_column(spec)
    view = sql.table(spec["view"])
    selects: list[exp.Expression] = [exp.Count(this=exp.Star())]
    if column:
        selects += [exp.Min(this=sql.col(column)), exp.Max(this=sql.col(column))]
    with sync_connection(dsn, where=f"partitioning {spec['view']}") as conn, conn.cursor() as cur:
        cur.execute(sql.driver_sql(exp.select(*selects).from_(view)))
        row = cur.fetchone()
    count = max(1, math.ceil((row[0] or 0) / rows_per_partition))
    if not column or row[1] is None:
        return {"column": None, "count": count, "rows": row[0]}
    return {"column": column, "lower": int(row[1]), "upper": int(row[2]) + 1, "count": count, "rows": row[0]}


def glue_specs(specs: dict[str, dict], dsn: Dsn, rows_per_partition: int = 100_000) -> dict[str, dict]:
    return {name: {**spec, "partitioning": choose_partitioning(spec, dsn, rows_per_partition)} for name, spec in specs.items()}
