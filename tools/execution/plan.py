"""The copy plan, shown before anything is written: per table the item count, the average and
largest item size MEASURED from the view's query (each row converted exactly as the copy will),
the write units (1 per started KB per item, plus each GSI's projected copy), the on-demand write
cost (prices from the same data file as the design cost), and the expected duration at the
table's write throughput: a new on-demand table (and each new GSI) starts at 4,000 write units/s
and one partition key serves at most 1,000, so the plan also measures the busiest key. Large
tables get the option of WarmThroughput on CreateTable, with what it costs. Beside the writes:
verification's read units, and import from S3 for new tables with its trade-offs (plan_extras.py).

Measurement runs the view's SELECT as a derived table, so it needs no view (a dry run creates
nothing) and always reflects the current contract. Tables up to `full_scan_limit` rows are read
in full; bigger ones by a Bernoulli sample (`WHERE RAND() < p`) of about `sample_rows` rows,
scaled to the source count, and the plan says which. A cap on the write rate the user gives (the
copy will keep to it) and the warm throughput the run will create are part of the timing."""

from __future__ import annotations

import math
import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Callable, Iterable, Literal

import orjson
import pymysql
from pydantic import BaseModel, Field
from sqlglot import exp

from mysql2ddb.tools.core.render import Table
from mysql2ddb.tools.core import sql
from mysql2ddb.tools.contract.model import Contract, ContractTable
from mysql2ddb.tools.core.db import MEASURE_SECONDS, Dsn, map_db_error, server_flavor, sync_connection, time_limited
from mysql2ddb.tools.core.pricing import Prices
from mysql2ddb.tools.execution.plan_extras import S3ImportOption, extra_lines, plan_extras, table_extras
from mysql2ddb.tools.execution.plan_extras import money as _money

NEW_TABLE_WRITE_UNITS_PER_S = 4_000
PARTITION_WRITE_UNITS_PER_S = 1_000
KB = 1024


class PlanOptions(BaseModel):
    tables: list[str] | None = Field(None, description="plan only these contract tables")
    full_scan_limit: int = Field(50_000, description="tables with at most this many rows are measured in full")
    sample_rows: int = Field(20_000, description="rows sampled from bigger tables")
    table_write_units_per_s: int = NEW_TABLE_WRITE_UNITS_PER_S
    partition_write_units_per_s: int = PARTITION_WRITE_UNITS_PER_S
    warm_threshold_s: float = Field(900, description="offer warm throughput when a table takes longer than this")
    warm_target_s: float = Field(300, description="warm throughput sized to copy the table in about this long")
    warm_max_write_units_per_s: int = Field(40_000, description="the default per-table write quota")
    parallel: int = Field(4, ge=1, le=32, description="tables measured at the same time (one connection each)")
    max_write_units_per_s: float | None = Field(None, gt=0, description="the user's cap on each table's write rate")
    warm_throughput: bool = Field(False, description="the run creates the tables offered it warm: time them so")


class WarmThroughputOption(BaseModel):
    write_units_per_second: int
    duration_seconds: float
    cost_usd: float
    priced: bool = Field(description="false when the price sheet has no warm-throughput price (cost shown as 0)")
    create_table: dict[str, Any] = Field(description="what CreateTable would carry (table and each GSI)")


class TablePlan(BaseModel):
    table: str
    view: str
    items: int = Field(description="rows of the view = items to write (source rows, per entity)")
    measured: Literal["all", "sample"]
    measured_rows: int
    sample_fraction: float | None = None
    rejected: int = Field(0, description="measured rows the converter refused (they would go to the reject file)")
    avg_item_bytes: float
    max_item_bytes: int
    write_units: int = Field(description="base-table write request units for the copy")
    gsi_write_units: int = Field(0, description="write units the GSIs consume for their projected copies")
    cost_usd: float
    storage_bytes: int
    storage_usd_month: float
    verify_read_units: float = Field(0.0, description="read units of verification's eventually consistent Scan")
    verify_cost_usd: float = 0.0
    import_bytes: int = Field(0, description="uncompressed DynamoDB JSON an import from S3 would read")
    hottest_key: str | None = None
    hottest_key_write_units: int = 0
    write_units_per_s: int
    duration_seconds: float
    bound_by: str
    warm: WarmThroughputOption | None = None
    warmed: bool = Field(False, description="the run creates the table warm: duration_seconds is at the warm rate")

    @property
    def total_write_units(self) -> int:
        return self.write_units + self.gsi_write_units


class CopyPlan(BaseModel):
    prices_source: str
    region: str
    price_date: str
    currency: str = "USD"
    write_price_per_million: float
    table_plans: list[TablePlan] = Field(default_factory=list, alias="tables")
    total_items: int = 0
    total_write_units: int = 0
    total_cost_usd: float = 0.0
    total_storage_usd_month: float = 0.0
    slowest_table: str | None = None
    duration_seconds: float = Field(0.0, description="the slowest table's: tables copy in parallel")
    sequential_seconds: float = Field(0.0, description="if the tables were copied one after another")
    warm_cost_usd: float = Field(0.0, description="total cost of every warm-throughput option offered")
    read_price_per_million: float = 0.0
    verify_read_units: float = Field(0.0, description="verification's Scan of every table, eventually consistent")
    verify_cost_usd: float = 0.0
    import_from_s3: S3ImportOption | None = Field(None, description="the alternative for new tables, priced")
    max_write_units_per_s: float | None = Field(None, description="the user's cap on each table's write rate")

    model_config = {"populate_by_name": True}

    def table(self, name: str) -> TablePlan | None:
        return next((t for t in self.table_plans if t.table == name), None)

    def summary(self) -> str:
        lines = [
            f"Copy plan: {len(self.table_plans)} table(s), {self.total_items:,} items, "
            f"{self.total_write_units:,} write units, {_money(self.total_cost_usd)} on demand "
            f"(prices: {self.prices_source}, {self.region}, {self.price_date}: "
            f"${self.write_price_per_million:g} per million write units)."
        ]
        if self.slowest_table:
            slow = self.table(self.slowest_table)
            assert slow is not None
            start = "created warm at" if slow.warmed else "a new on-demand table starts at"
            cap = f"; your cap: {self.max_write_units_per_s:,g} WCU/s a table" if self.max_write_units_per_s else ""
            lines.append(
                f"Slowest table: {slow.table}, about {_duration(slow.duration_seconds)} (limited by {slow.bound_by}: "
                f"{start} {slow.write_units_per_s:,} write units/s, one partition key takes at most 1,000{cap}). "
                f"Total about {_duration(self.duration_seconds)} with tables in parallel "
                f"({_duration(self.sequential_seconds)} one after another)."
            )
        for t in self.table_plans:
            if t.warm:
                price = _money(t.warm.cost_usd) if t.warm.priced else "price not in the price sheet"
                warm = f"WarmThroughput of {t.warm.write_units_per_second:,} write units/s"
                lines.append(f"{t.table} is created with {warm} (`--warm-throughput`): about "
                             f"{_duration(t.duration_seconds)}, costs {price}." if t.warmed else
                             f"Option for {t.table}: create it with {warm}: about "
                             f"{_duration(t.warm.duration_seconds)} instead of {_duration(t.duration_seconds)}, "
                             f"costs {price} (`--warm-throughput`).")
        sampled = [t.table for t in self.table_plans if t.measured == "sample"]
        if sampled:
            lines.append("Sizes of " + ", ".join(sampled) + " come from a random sample of their rows.")
        rejected = [f"{t.table} ({t.rejected})" for t in self.table_plans if t.rejected]
        if rejected:
            lines.append("Rows the converter refuses (they will go to the reject file): " + ", ".join(rejected) + ".")
        lines += extra_lines(self.verify_read_units, self.verify_cost_usd, self.import_from_s3)
        return "\n\n".join(lines)

    def tables(self) -> list[Table]:
        """Narrow enough for a terminal: the JSON keeps every field (GSI units, storage, sample size)."""
        rows = [
            [t.table, f"{t.items:,}" + (" (sampled)" if t.measured == "sample" else ""), round(t.avg_item_bytes),
             t.max_item_bytes, f"{t.total_write_units:,}", _money(t.cost_usd), _duration(t.duration_seconds),
             t.bound_by, f"{t.warm.write_units_per_second:,}/s: {_duration(t.warm.duration_seconds)}" if t.warm else ""]
            for t in self.table_plans
        ]
        rows.append(["total", f"{self.total_items:,}", "", "", f"{self.total_write_units:,}",
                     _money(self.total_cost_usd), _duration(self.duration_seconds), f"slowest: {self.slowest_table}", ""])
        headers = ["table", "items", "avg B", "max B", "write units", "cost", "duration", "bound by", "warm option"]
        if not any(t.warm for t in self.table_plans):
            headers, rows = headers[:-1], [r[:-1] for r in rows]
        return [Table("Copy plan", headers, rows)]


def _duration(seconds: float) -> str:
    if seconds < 60:
        return f"{seconds:.1f} s"
    return f"{seconds / 60:.1f} min" if seconds < 3600 else f"{seconds / 3600:.1f} h"


# ---- measuring ------------------------------------------------------------------------------


def view_select(table: ContractTable, catalog: Any) -> exp.Expression:
    """The view's query (without CREATE VIEW), compiled exactly as `views` will create it."""
    from mysql2ddb.tools.execution.views import compile_view

    node = compile_view(table, catalog)
    return node.expression if isinstance(node, exp.Create) else node


def _source_tables(table: ContractTable) -> list[str]:
    multi = table.is_multi_entity and table.entities
    return [e.source_table for e in table.entities or []] if multi else [table.source_table]


def count_source_rows(cur: Any, table: ContractTable) -> int:
    """Items = source rows (joins are LEFT joins, one item per row per entity)."""
    total = 0
    for name in _source_tables(table):
        count = exp.select(exp.Count(this=exp.Star())).from_(sql.table(name))
        cur.execute(time_limited(count, MEASURE_SECONDS, server_flavor(cur.connection)))
        total += int(cur.fetchone()[0])
    return total


class Measure:
    """Running sizes and write units over converted items."""

    def __init__(self, table: ContractTable, convert: Callable[[Any], dict], item_size: Callable[[dict], int],
                 rejected: type[Exception]):
        self.convert, self.item_size, self.rejected_type = convert, item_size, rejected
        self.pk, self.key_names = table.pk, table.key_names
        self.gsis = list(table.gsis or [])
        self.projected = {g.index_name: list(dict.fromkeys(
            self.key_names + [g.pk] + ([g.sk] if g.sk else []) + list(g.projected_attributes or [])))
            for g in self.gsis}
        self.rows = self.items = self.rejected = self.bytes = self.max_bytes = 0
        self.units = self.gsi_units = self.gsi_bytes = self.json_bytes = 0
        self.key_units: Counter[str] = Counter()

    def add(self, row: Any) -> None:
        self.rows += 1
        try:
            item = self.convert(row)
        except self.rejected_type:
            self.rejected += 1
            return
        size = self.item_size(item)
        units = max(1, math.ceil(size / KB))
        self.items += 1
        self.bytes += size
        self.max_bytes = max(self.max_bytes, size)
        self.json_bytes += len(orjson.dumps(item)) + 10  # its line in an S3 import file: {"Item":...}\n
        self.units += units
        pk_value = item.get(self.pk)
        if pk_value:
            self.key_units[str(next(iter(pk_value.values())))] += units
        for gsi in self.gsis:
            keys = [gsi.pk] + ([gsi.sk] if gsi.sk else [])
            if not all(k in item for k in keys):
                continue  # sparse index: the item is not in it
            projected = size if gsi.projection == "ALL" else self.item_size(
                {k: item[k] for k in self.projected[gsi.index_name] if k in item})
            self.gsi_units += max(1, math.ceil(projected / KB))
            self.gsi_bytes += projected


def measure_table(conn: Any, table: ContractTable, catalog: Any, spec: dict[str, Any], options: PlanOptions,
                  dsn: Dsn) -> tuple[int, Measure, float | None]:
    """(source rows, measurement, sample fraction or None when read in full)."""
    where = f"plan {table.table}"
    try:
        with conn.cursor() as cur:
            source_rows = count_source_rows(cur, table)
        fraction = None
        derived = exp.Subquery(this=view_select(table, catalog), alias=exp.TableAlias(this=sql.ident("m2d_plan")))
        query = exp.select(exp.Star()).from_(derived)
        params: tuple = ()
        if source_rows > options.full_scan_limit:
            fraction = min(1.0, options.sample_rows / source_rows)
            query = query.where(exp.LT(this=exp.Rand(), expression=sql.param()))
            params = (fraction,)
        from mysql2ddb.tools.execution import convert

        measure = Measure(table, convert.build_converter(spec), convert.item_size, convert.RowRejected)
        with conn.cursor(pymysql.cursors.SSCursor) as cur:
            cur.execute(time_limited(query, MEASURE_SECONDS, server_flavor(conn)), params)
            for row in cur:
                measure.add(row)
    except pymysql.err.MySQLError as exc:
        raise map_db_error(exc, where, dsn) from None
    return source_rows, measure, fraction


# ---- pricing and timing ---------------------------------------------------------------------


def plan_table(table: ContractTable, source_rows: int, m: Measure, fraction: float | None, prices: Prices,
               options: PlanOptions) -> TablePlan:
    scale = (source_rows / m.rows) if (fraction is not None and m.rows) else 1.0
    items = source_rows if fraction is not None else m.rows
    write_units, gsi_units = round(m.units * scale), round(m.gsi_units * scale)
    price = prices.on_demand.write_request_unit_per_million / 1_000_000
    storage = round((m.bytes + m.items * prices.item_overhead_bytes + m.gsi_bytes) * scale)
    hot_key, hot_units = (m.key_units.most_common(1)[0] if m.key_units else (None, 0))
    hot_units = round(hot_units * scale) if fraction is not None else hot_units
    duration, bound = _duration_at(table, write_units, gsi_units, hot_key, hot_units,
                                   options.table_write_units_per_s, options)
    plan = TablePlan(
        table=table.table, view=table.view_name, items=items, measured="sample" if fraction is not None else "all",
        measured_rows=m.rows, sample_fraction=fraction, rejected=round(m.rejected * scale),
        avg_item_bytes=round(m.bytes / m.items, 1) if m.items else 0.0, max_item_bytes=m.max_bytes,
        write_units=write_units, gsi_write_units=gsi_units, cost_usd=(write_units + gsi_units) * price,
        storage_bytes=storage, storage_usd_month=storage / 1e9 * prices.storage_gb_month,
        hottest_key=hot_key, hottest_key_write_units=hot_units,
        write_units_per_s=options.table_write_units_per_s, duration_seconds=duration, bound_by=bound,
        **table_extras(round(m.bytes * scale), round(m.json_bytes * scale), prices),
    )
    plan.warm = _warm_option(table, plan, prices, options)
    if plan.warm and options.warm_throughput:  # the run creates it warm: its expected duration is the warm one
        plan.warmed, plan.write_units_per_s = True, plan.warm.write_units_per_second
        plan.duration_seconds, plan.bound_by = _duration_at(table, write_units, gsi_units, hot_key, hot_units,
                                                            plan.warm.write_units_per_second, options)
    return plan


def _duration_at(table: ContractTable, units: int, gsi_units: int, hot_key: str | None, hot_units: int,
                 rate: int, options: PlanOptions) -> tuple[float, str]:
    """Seconds and what bounds them: the table's write rate, one GSI's, the user's cap on both (the
    copy paces a table to the larger of its own and its busiest index's units), or the busiest key."""
    gsis = len(table.gsis or [])
    cap = options.max_write_units_per_s
    pace, capped = (cap, f"your cap ({cap:,g} WCU/s)") if cap and cap < rate else (rate, None)
    candidates = [(units / pace, capped or f"table {rate:,}/s")]
    if gsis:
        # each GSI has its own throughput; the busiest one back-pressures the table
        candidates.append((gsi_units / gsis / pace, capped or f"GSI {rate:,}/s"))
    if hot_key is not None:
        candidates.append((hot_units / options.partition_write_units_per_s,
                           f"key {hot_key!r} {options.partition_write_units_per_s:,}/s"))
    seconds, bound = max(candidates, key=lambda c: c[0])
    return round(seconds, 2), bound


def _warm_option(table: ContractTable, plan: TablePlan, prices: Prices, options: PlanOptions) -> WarmThroughputOption | None:
    if plan.duration_seconds <= options.warm_threshold_s:
        return None
    base = options.table_write_units_per_s
    wanted = math.ceil(max(plan.write_units, plan.gsi_write_units) / options.warm_target_s)
    cap = math.ceil(options.max_write_units_per_s or options.warm_max_write_units_per_s)
    wps = min(max(wanted, base + 1), options.warm_max_write_units_per_s, cap)
    if wps <= base:
        return None  # the user's cap is below a new table's rate: warming would buy nothing
    seconds, _ = _duration_at(table, plan.write_units, plan.gsi_write_units, plan.hottest_key,
                              plan.hottest_key_write_units, wps, options)
    if seconds >= plan.duration_seconds * 0.9:
        return None  # bound by one partition key: warming the table would not help
    indexes = len(table.gsis or [])
    unit_price = prices.warm_throughput.write_unit_per_second_increment
    warm = {"WriteUnitsPerSecond": wps}
    request: dict[str, Any] = {"WarmThroughput": warm}
    if indexes:
        request["GlobalSecondaryIndexes"] = [{"IndexName": g.index_name, "WarmThroughput": warm} for g in table.gsis or []]
    return WarmThroughputOption(
        write_units_per_second=wps, duration_seconds=seconds,
        cost_usd=(wps - base) * unit_price * (1 + indexes), priced=unit_price > 0, create_table=request,
    )


def copy_plan(contract: Contract, dsn: Dsn, catalog: Any, prices: Prices, options: PlanOptions | None = None, *,
              progress: Any = None) -> CopyPlan:
    """Measure every (selected) table's view and price and time its copy."""
    from mysql2ddb.tools.execution.spec import table_spec

    options = options or PlanOptions()
    selected = _selected(contract, options.tables)
    done, lock = 0, threading.Lock()

    def one(table: ContractTable) -> TablePlan:
        nonlocal done
        # the server computes one view while Python converts another's rows
        with sync_connection(dsn, where=f"copy plan {table.table}") as conn:
            source_rows, m, fraction = measure_table(conn, table, catalog, table_spec(table, catalog), options, dsn)
        with lock:
            done += 1
            if progress:
                progress.update("plan", done, len(selected), f"measured {table.table}")
        return plan_table(table, source_rows, m, fraction, prices, options)

    if progress:
        progress.update("plan", 0, len(selected), "measuring item sizes from the views")
    with ThreadPoolExecutor(max_workers=min(options.parallel, max(1, len(selected)))) as pool:
        plans = list(pool.map(one, selected))
    return assemble(plans, prices, max_write_units_per_s=options.max_write_units_per_s)


def assemble(plans: list[TablePlan], prices: Prices, *, max_write_units_per_s: float | None = None) -> CopyPlan:
    slowest = max(plans, key=lambda p: p.duration_seconds, default=None)
    return CopyPlan(
        prices_source=prices.source, region=prices.region, price_date=prices.date, currency=prices.currency,
        write_price_per_million=prices.on_demand.write_request_unit_per_million, table_plans=plans,
        total_items=sum(p.items for p in plans), total_write_units=sum(p.total_write_units for p in plans),
        total_cost_usd=sum(p.cost_usd for p in plans), total_storage_usd_month=sum(p.storage_usd_month for p in plans),
        slowest_table=slowest.table if slowest else None,
        duration_seconds=slowest.duration_seconds if slowest else 0.0,
        sequential_seconds=round(sum(p.duration_seconds for p in plans), 2),
        warm_cost_usd=sum(p.warm.cost_usd for p in plans if p.warm), max_write_units_per_s=max_write_units_per_s,
        **plan_extras(plans, prices),
    )


def _selected(contract: Contract, names: Iterable[str] | None) -> list[ContractTable]:
    wanted = list(names or [])
    unknown = [n for n in wanted if contract.table(n) is None]
    if unknown:
        from mysql2ddb.tools.core.errors import InputError

        raise InputError(f"no table {', '.join(unknown)} in the contract", where="--tables",
                         remedy="name contract tables: " + ", ".join(t.table for t in contract.tables))
    return [t for t in contract.tables if not wanted or t.table in wanted]
