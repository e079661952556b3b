"""Joins, calculations and transformations of one attribute: their tables exist, their SQL
fragments resolve in the scope the view gives them (the source table plus the joined table(s)),
conditions are read as predicates (the only fragments that may test EXISTS/IN (SELECT ...)), every
join condition relates the joined table to the row (no cartesian product), and the types without
defined fields are refused with a remedy (contract-semantics.md §9)."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from mysql2ddb.tools.contract.catalog import Catalog
from mysql2ddb.tools.contract.fragments import references
from mysql2ddb.tools.contract.validate_scope import Checked, Resolver, check_table_name

if TYPE_CHECKING:
    from mysql2ddb.tools.contract.findings import Findings
    from mysql2ddb.tools.contract.findings import AttrInfo

_SINGLE_TARGET = ("foreign-key", "lookup-table", "conditional", "json-construction", "multi-column")


def _avg(catalog: Catalog | None, table: str | None) -> int | None:
    stats = catalog.stats.get(table) if catalog is not None and table else None
    return stats.avg_row_length if stats else None


def _take_value(info: "AttrInfo", checked: Checked | None, catalog: Catalog | None, table: str | None) -> None:
    if checked is None:
        return
    info.value_class = checked.value_class()
    info.typical, info.worst = checked.nbytes(_avg(catalog, table))
    single = checked.single_column()
    info.source = (f"column {checked.node.sql(dialect='mysql')} ({single.column_type})" if single
                   else f"expression {checked.node.sql(dialect='mysql')}")


def _target(join: dict[str, Any], path: str, home: str, catalog: Catalog | None, out: "Findings") -> str | None:
    target = join.get("target_table")
    if not isinstance(target, str):
        return None
    if not check_table_name(catalog, target, f"{path}/target_table", out):
        return None
    if target == home:
        out.error(f"{path}/target_table", f"the join targets its own source table `{home}`: every column name would be ambiguous",
                  'use "type": "self-join" with a join_alias for the joined copy')
        return None
    return target


def _side(ref, targets: set, rows: list[str], target: str | None, catalog: Catalog | None) -> str | None:
    """'target', 'row', 'inner' (the subquery's own table) or None (cannot tell: reported elsewhere)."""
    if ref.qualifier:
        if ref.qualifier in ref.scope:
            return "inner"
        return "target" if ref.qualifier in targets else "row" if ref.qualifier in rows else None
    if catalog is None:
        return None
    if any(catalog.column(t, ref.name) for t in set(ref.scope.values())):
        return "inner"
    if rows and catalog.column(rows[0], ref.name):  # §12: the source table first
        return "row"
    if target and catalog.column(target, ref.name):
        return "target"
    return "row" if any(catalog.column(t, ref.name) for t in rows[1:]) else None


def _relates(conditions: list[Checked | None], path: str, targets: set, rows: list[str], target: str | None,
             catalog: Catalog | None, out: "Findings") -> None:
    """A join condition must name the joined table and the row it joins to: one that does not
    (`1 = 1`, `t.flag = 1`) joins every row to every row of the table, a cartesian product."""
    if target is None or any(c is None for c in conditions):
        return
    sides = {_side(ref, targets, rows, target, catalog) for c in conditions for ref in references(c.node).columns}
    if None in sides:
        return
    missing = [what for what, side in ((f"the joined table `{target}`", "target"), ("the row", "row")) if side not in sides]
    if missing:
        out.error(path, f"the join condition never names {' nor '.join(missing)}: every row would meet every row "
                        f"of `{target}` (a cartesian product)",
                  f"relate the two, e.g. `{next(iter(targets))}.<key> = {rows[0] if rows else 'source'}.<foreign key>`")


def check_join(join: dict[str, Any], path: str, home: str, info: "AttrInfo", catalog: Catalog | None,
               out: "Findings") -> None:
    kind = join.get("type")
    info.nullable = info.via_join = True  # joins are LEFT joins (§3): finding nothing yields NULL
    if kind == "self-join":
        alias = join.get("join_alias")
        if not isinstance(alias, str):
            return
        if alias == home or (catalog is not None and catalog.has_table(alias)):
            out.error(f"{path}/join_alias", f"join_alias `{alias}` is also a table name",
                      f"choose an alias that names no table, e.g. `parent_{home}`")
            return
        scope = Resolver(catalog, {home: home, alias: home}, home, out)
        condition = scope.fragment(join.get("join_condition"), f"{path}/join_condition", "predicate")
        _relates([condition], f"{path}/join_condition", {alias}, [home], home, catalog, out)
        _take_value(info, scope.fragment(join.get("select_column"), f"{path}/select_column"), catalog, home)
        return
    if kind == "chain":
        _chain(join, path, home, info, catalog, out)
        return
    if kind not in _SINGLE_TARGET:
        return  # an unknown join type is a schema error
    target = _target(join, path, home, catalog, out)
    scope = Resolver(catalog, {home: home, **({target: target} if target else {})}, home, out)
    if kind == "multi-column":
        conditions = join.get("join_conditions")
        if isinstance(conditions, list) and not conditions:
            out.error(f"{path}/join_conditions", "no join conditions", "list one condition per joined column")
        checked = [scope.fragment(text, f"{path}/join_conditions/{k}", "predicate")
                   for k, text in enumerate(conditions if isinstance(conditions, list) else [])]
        if checked:
            _relates(checked, f"{path}/join_conditions", {target}, [home], target, catalog, out)
    else:
        condition = scope.fragment(join.get("join_condition"), f"{path}/join_condition", "predicate")
        _relates([condition], f"{path}/join_condition", {target}, [home], target, catalog, out)
    if kind == "conditional":
        scope.fragment(join.get("condition"), f"{path}/condition", "predicate")
    if kind == "json-construction":
        _construction(join.get("construction"), f"{path}/construction", scope, info, target, catalog, out)
        return
    _take_value(info, scope.fragment(join.get("select_column"), f"{path}/select_column"), catalog, target)


def _chain(join: dict[str, Any], path: str, home: str, info: "AttrInfo", catalog: Catalog | None,
           out: "Findings") -> None:
    hops = join.get("joins")
    if not isinstance(hops, list):
        return
    if not hops:
        out.error(f"{path}/joins", "a chain join with no hops", "list the hops in order, from the source table outward")
        return
    names: dict[str, str] = {home: home}
    last: Checked | None = None
    typical = worst = 0
    for k, hop in enumerate(hops):
        if not isinstance(hop, dict):
            continue
        hpath = f"{path}/joins/{k}"
        target = _target(hop, hpath, home, catalog, out)
        if target in names:
            out.error(f"{hpath}/target_table", f"table `{target}` appears twice in the chain; hops have no aliases",
                      "join each table once; for a second copy of a table use a separate attribute")
            target = None
        if target:
            names[target] = target
        scope = Resolver(catalog, dict(names), home, out)
        condition = scope.fragment(hop.get("join_condition"), f"{hpath}/join_condition", "predicate")
        _relates([condition], f"{hpath}/join_condition", {target}, [n for n in names if n != target], target,
                 catalog, out)
        last = scope.fragment(hop.get("select_column"), f"{hpath}/select_column")
        if last is not None:
            t, w = last.nbytes(_avg(catalog, target))
            typical, worst = typical + t, worst + w
    if isinstance(join.get("chain_separator"), str):  # §6: all hops joined with the separator
        info.value_class, info.typical, info.worst = "string", typical, worst
        info.source = "a chain of joined values"
    else:
        _take_value(info, last, catalog, None)


def _construction(construction: Any, path: str, scope: Resolver, info: "AttrInfo", target: str | None,
                  catalog: Catalog | None, out: "Findings") -> None:
    if not isinstance(construction, dict):
        return
    shape = construction.get("type")
    allowed = {"array": ("L", "S"), "object": ("M", "S")}.get(shape, ())
    if allowed and info.type not in allowed:
        out.error(f"{info.path}/type", f"a json-construction {shape} is stored as {' or '.join(allowed)}, not {info.type}",
                  f"declare the attribute type {allowed[0]} (native) or S (JSON text) (§7)")
    columns = construction.get("select_columns")
    per_row_typical = per_row_worst = 2
    for key, text in (columns.items() if isinstance(columns, dict) else []):
        checked = scope.fragment(text, f"{path}/select_columns/{_escape(key)}")
        if checked is not None:
            t, w = checked.nbytes(_avg(catalog, target))
            per_row_typical += t + len(key) + 3
            per_row_worst += w + len(key) + 3
    if isinstance(columns, dict) and not columns:
        out.error(f"{path}/select_columns", "no select_columns", "name at least one field: {\"field\": \"table.column\"}")
    if construction.get("order_by") is not None:
        scope.fragment(construction.get("order_by"), f"{path}/order_by", "order_by")
    limit = construction.get("limit")
    rows = 1 if shape == "object" else 100
    if isinstance(limit, (int, float)) and not isinstance(limit, bool):
        if limit < 1 or limit != int(limit):
            out.error(f"{path}/limit", f"limit {limit} is not a positive whole number", "give a whole number >= 1")
        else:
            rows = int(limit) if shape != "object" else 1
    elif shape == "array":
        out.warn(f"{path}/limit", "no limit: one item embeds every related row", "set a limit that bounds the item size")
    info.value_class = "json"
    info.typical, info.worst = per_row_typical * rows, per_row_worst * rows
    info.source = f"a JSON {shape} built from `{target}`"


def _escape(key: str) -> str:
    return str(key).replace("~", "~0").replace("/", "~1")


def check_calculation(calc: dict[str, Any], path: str, home: str, info: "AttrInfo", catalog: Catalog | None,
                      out: "Findings") -> None:
    kind = calc.get("type")
    if kind in ("concat", "date-math"):
        out.error(f"{path}/type", f"calculation type `{kind}` has no defined fields in the contract schema (§9)",
                  "express it as a `case` calculation whose `then` is the SQL expression, e.g. "
                  "{\"when\": \"TRUE\", \"then\": \"CONCAT(t.a, '#', t.b)\"} (or DATE_ADD(...) for date math), "
                  "or as a pk/sk template on a multi-entity table")
        return
    if kind == "aggregate":
        target = _target(calc, path, home, catalog, out)
        scope = Resolver(catalog, {home: home, **({target: target} if target else {})}, home, out)
        condition = scope.fragment(calc.get("join_condition"), f"{path}/join_condition", "predicate")
        _relates([condition], f"{path}/join_condition", {target}, [home], target, catalog, out)
        operation = calc.get("operation")
        select = calc.get("select_column")
        checked = None
        if not (operation == "COUNT" and isinstance(select, str) and select.strip() == "*"):
            checked = scope.fragment(select, f"{path}/select_column")
        if operation in ("COUNT", "SUM", "AVG"):
            info.value_class, info.typical, info.worst = "numeric", 8, 21
            info.source = f"{operation}() over `{target}`"
        else:
            _take_value(info, checked, catalog, target)
        info.nullable = operation != "COUNT"  # §8: SUM over zero rows is NULL, COUNT is 0
        return
    if kind == "case":
        scope = Resolver(catalog, {home: home}, home, out)
        cases = calc.get("cases")
        if isinstance(cases, list) and not cases:
            out.error(f"{path}/cases", "a case calculation with no cases", "list at least one {when, then}")
        values: list[Checked] = []
        for k, case in enumerate(cases if isinstance(cases, list) else []):
            if isinstance(case, dict):
                scope.fragment(case.get("when"), f"{path}/cases/{k}/when", "predicate")
                values.append(scope.fragment(case.get("then"), f"{path}/cases/{k}/then"))
        if "else" in calc:
            values.append(scope.fragment(calc.get("else"), f"{path}/else"))
        got = [v for v in values if v is not None]
        classes = {v.value_class() for v in got}
        info.value_class = classes.pop() if len(classes) == 1 else None
        sizes = [v.nbytes(_avg(catalog, home)) for v in got] or [(16, 64)]
        info.typical, info.worst = max(s[0] for s in sizes), max(s[1] for s in sizes)
        info.nullable = "else" not in calc
        info.source = "a CASE expression"


_DATE_TOKENS = re.compile(r"YYYY|YY|MM|DD|HH24|HH|hh|MI|mm|SS|ss")
_DATE_LITERALS = set("-/:. T_,")


def check_transformation(transformation: dict[str, Any], path: str, info: "AttrInfo", out: "Findings") -> None:
    kind = transformation.get("type")
    if kind in ("string-format", "number-format"):
        out.error(f"{path}/type", f"transformation `{kind}` has no defined fields in the contract schema (§9)",
                  "drop the transformation and compute the value in SQL: a `case` calculation with "
                  "{\"when\": \"TRUE\", \"then\": \"FORMAT(t.amount, 2)\"} (or LPAD, CONCAT, ...)")
        return
    if kind == "json-parse":
        if info.type not in ("M", "L"):
            out.error(f"{info.path}/type", "json-parse yields a map or a list", "declare the attribute type M or L")
        if info.value_class not in (None, "json", "string"):
            out.error(path, f"json-parse needs JSON text, not {info.source or info.value_class}",
                      "parse a JSON or text column")
        info.value_class = "json"
        return
    if kind != "date-format":
        return
    fmt = transformation.get("format")
    if not isinstance(fmt, str) or not fmt:
        out.error(f"{path}/format", "date-format needs a format", 'give one, e.g. "YYYY-MM-DD" or "YYYY-MM"')
    else:
        rest = _DATE_TOKENS.sub("", fmt)
        if any(ch not in _DATE_LITERALS for ch in rest):
            out.error(f"{path}/format", f"date format {fmt!r} has parts that are not date tokens",
                      "use YYYY, YY, MM, DD, HH (or HH24), MI, SS and separators - / : . space T")
    if info.value_class not in (None, "temporal"):
        level = out.warn if info.value_class == "string" else out.error
        level(path, f"date-format applied to {info.source or info.value_class}",
              "apply it to a DATE, DATETIME or TIMESTAMP column")
    info.value_class, info.typical, info.worst = "string", len(fmt or "") + 2, 32
