"""SQL fragments of a contract (join conditions, conditions, CASE branches, select columns,
order_by): each must be ONE read-only SQL expression. They end up inside the CREATE VIEW the view
compiler writes, so a fragment that smuggles a second statement, a comment that hides text, or
anything with a side effect is refused here, before any SQL is run; what the expression itself may
contain (functions, names, semi-join subqueries) is the policy of fragment_policy.py.

`parse_fragment` returns the sqlglot AST; `references` lists the tables, aliases and columns it
uses, with the scope each column is read in (subqueries bring their own tables);
`fragment_locations` lists every fragment of a contract with its JSON path and kind, and
`fragment_errors` every policy problem among them (the view compiler's check before it creates
anything).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Iterator, Literal

import sqlglot
from sqlglot import exp
from sqlglot.dialects.mysql import MySQL
from sqlglot.errors import ParseError, TokenError
from sqlglot.tokens import Token, TokenType

from mysql2ddb.tools.core.errors import ContractError
from mysql2ddb.tools.core.sql import DIALECT
from mysql2ddb.tools.contract.fragment_policy import REFUSED_FUNCTIONS, Problem, policy_problems

_DIALECT = sqlglot.Dialect.get_or_raise(DIALECT)

# "expression": a value (no subquery); "predicate": a condition (may test EXISTS/IN (SELECT ...));
# "order_by": `a.x, b.y DESC`.
FragmentKind = Literal["expression", "predicate", "order_by"]

# First tokens that start a statement rather than an expression.
_STATEMENT_TOKENS = {
    TokenType.SELECT, TokenType.INSERT, TokenType.UPDATE, TokenType.DELETE, TokenType.CREATE,
    TokenType.DROP, TokenType.ALTER, TokenType.TRUNCATE, TokenType.REPLACE, TokenType.MERGE,
    TokenType.SET, TokenType.USE, TokenType.COMMAND, TokenType.GRANT, TokenType.REVOKE,
    TokenType.WITH, TokenType.DESCRIBE, TokenType.SHOW, TokenType.EXECUTE,
    TokenType.LOAD, TokenType.COMMIT, TokenType.ROLLBACK, TokenType.BEGIN, TokenType.VALUES,
} - {None}
_STATEMENT_WORDS = {"HANDLER", "LOCK", "UNLOCK", "RENAME", "OPTIMIZE", "ANALYZE", "FLUSH", "KILL", "PREPARE",
                    "DEALLOCATE", "DO", "CALL", "START", "SAVEPOINT", "INSTALL", "RESET", "PURGE", "CHECKSUM"}
# Nodes that write, lock or change session state, wherever they appear (even inside a subquery).
_WRITE_NODES = (
    exp.Insert, exp.Update, exp.Delete, exp.Create, exp.Drop, exp.Alter, exp.Command, exp.Merge,
    exp.Set, exp.Into, exp.Lock, exp.TruncateTable, exp.Use, exp.Grant, exp.PropertyEQ,
)


def _error(where: str, why: str, remedy: str, text: str) -> ContractError:
    return ContractError(why, where=where, remedy=remedy, details={"fragment": text})


class _Tokenizer(MySQL.Tokenizer):
    # MySQL's tokenizer swallows the rest of the text after REPLACE/RENAME/EXECUTE as one command
    # string, which would hide the function REPLACE(...) (and any statement) from our checks.
    COMMANDS: set = set()


def _tokens(text: str, where: str) -> list[Token]:
    try:
        return list(_Tokenizer(dialect=_DIALECT).tokenize(text))
    except TokenError as exc:
        raise _error(where, f"cannot read the SQL fragment: {exc}", "write one SQL expression with balanced quotes", text) from None


def _check_tokens(tokens: list[Token], where: str, text: str) -> None:
    if not tokens:
        raise _error(where, "the SQL fragment is empty", "write one SQL expression, e.g. `a.id = b.a_id`", text)
    if any(t.token_type == TokenType.SEMICOLON for t in tokens):
        raise _error(where, "the SQL fragment contains a semicolon (a second statement)",
                     "write one SQL expression without `;`", text)
    if any(t.comments for t in tokens):
        raise _error(where, "the SQL fragment contains a comment (`--`, `#` or `/* */`)",
                     "remove the comment; a fragment is one SQL expression and nothing else", text)
    first = tokens[0]
    # REPLACE(...), INSERT(...), TRUNCATE(...), VALUES(...) are also MySQL functions.
    called = len(tokens) > 1 and tokens[1].token_type == TokenType.L_PAREN
    if not called and (first.token_type in _STATEMENT_TOKENS or first.text.upper() in _STATEMENT_WORDS):
        raise _error(where, f"the SQL fragment is a statement ({first.text.upper()} ...), not an expression",
                     "write only the expression, e.g. `film.film_id = film_category.film_id`", text)


def _check_tree(node: exp.Expression, where: str, text: str) -> None:
    for sub in node.walk():
        if isinstance(sub, exp.PropertyEQ):
            raise _error(where, "the SQL fragment assigns a variable (`:=`)",
                         "use only columns and literals; the view has no variables", text)
        if isinstance(sub, _WRITE_NODES):
            raise _error(where, f"the SQL fragment writes, locks or changes state ({sub.key.upper()})",
                         "use only reads: column references, functions, read-only subqueries", text)
        if isinstance(sub, (exp.Parameter, exp.SessionParameter, exp.Placeholder)):
            raise _error(where, "the SQL fragment uses a variable or placeholder",
                         "use only columns and literals; the view has no parameters", text)


def _refused_calls(tokens: list[Token]) -> list[str]:
    """Refused function names called in the text, whatever node sqlglot makes of them."""
    return [t.text.upper() for t, after in zip(tokens, tokens[1:])
            if after.token_type == TokenType.L_PAREN and t.text.upper() in REFUSED_FUNCTIONS]


def _probe(sample: str) -> exp.Expression:
    """The parser's reading of an allow-list sample (no policy: the samples define it)."""
    return _parse_one(_tokens(sample, "fragment policy"), sample, exp.Condition, "fragment policy")


def _check_policy(node: exp.Expression, tokens: list[Token], kind: FragmentKind, where: str, text: str) -> None:
    """Every policy problem of the fragment in one ContractError (details['errors'])."""
    problems = policy_problems(node, kind, _probe)
    for name in [] if problems else _refused_calls(tokens):  # in case sqlglot read a call as no function
        problems.append(Problem(f"{name}() {REFUSED_FUNCTIONS[name]}",
                                "remove the call; a fragment reads only the row's columns"))
    if problems:
        errors = [{"path": where, "message": p.why, "remedy": p.remedy} for p in problems]
        raise ContractError(problems[0].why, where=where, remedy=problems[0].remedy,
                            details={"fragment": text, "errors": errors})


def _split_top_level(tokens: list[Token]) -> list[list[Token]]:
    """The comma-separated items at parenthesis depth 0."""
    items: list[list[Token]] = [[]]
    depth = 0
    for token in tokens:
        if token.token_type in (TokenType.L_PAREN, TokenType.L_BRACKET):
            depth += 1
        elif token.token_type in (TokenType.R_PAREN, TokenType.R_BRACKET):
            depth -= 1
        elif token.token_type == TokenType.COMMA and depth == 0:
            items.append([])
            continue
        items[-1].append(token)
    return items


def _parse_one(tokens: list[Token], text: str, into: type[exp.Expression], where: str) -> exp.Expression:
    try:
        if not tokens:
            raise ParseError("an empty item")
        node = _DIALECT.parser().parse_into(into, tokens, text)[0]
        if node is None:
            raise ParseError("nothing to parse")
        return node
    except (ParseError, TokenError) as exc:
        detail = str(exc).splitlines()[0][:200]
        raise _error(where, f"the SQL fragment is not a single SQL expression ({detail})",
                     "write exactly one expression, e.g. `a.id = b.a_id` or `UPPER(t.name)`", text) from None


def parse_fragment(text: str, where: str, kind: FragmentKind = "expression") -> exp.Expression:
    """Parse one contract SQL fragment; raise ContractError (with `where`; every policy problem in
    details['errors']) if it is anything but one read-only expression the policy allows.
    kind="predicate" may test EXISTS/IN (SELECT ...); kind="order_by" accepts `a.x, b.y DESC`
    and returns an exp.Order."""
    if not isinstance(text, str):
        raise _error(where, "the SQL fragment is not a string", "write the expression as a JSON string", str(text))
    tokens = _tokens(text, where)
    _check_tokens(tokens, where, text)
    if kind == "order_by":
        items = [_parse_one(part, text, exp.Ordered, where) for part in _split_top_level(tokens)]
        node: exp.Expression = exp.Order(expressions=items)
    else:
        node = _parse_one(tokens, text, exp.Condition, where)
    _check_tree(node, where, text)
    _check_policy(node, tokens, kind, where, text)
    return node


@dataclass
class ColumnRef:
    """A column as written: `qualifier.name` or bare `name`; `scope` maps the names visible from
    enclosing subqueries (alias or table name) to their table, innermost first."""

    name: str
    qualifier: str | None
    scope: dict[str, str] = field(default_factory=dict)
    node: exp.Column | None = field(default=None, repr=False, compare=False)

    @property
    def text(self) -> str:
        return f"{self.qualifier}.{self.name}" if self.qualifier else self.name


@dataclass
class FragmentRefs:
    columns: list[ColumnRef] = field(default_factory=list)
    tables: list[str] = field(default_factory=list)  # tables read by subqueries
    aliases: dict[str, str] = field(default_factory=dict)  # subquery alias -> table


def _select_scope(select: exp.Select) -> dict[str, str]:
    scope: dict[str, str] = {}
    for tbl in select.find_all(exp.Table):
        if tbl.find_ancestor(exp.Select) is not select:
            continue
        scope[tbl.alias_or_name] = tbl.name
        scope.setdefault(tbl.name, tbl.name)
    return scope


def references(node: exp.Expression) -> FragmentRefs:
    """Tables, aliases and columns a parsed fragment refers to."""
    refs = FragmentRefs()
    for tbl in node.find_all(exp.Table):
        if tbl.name not in refs.tables:
            refs.tables.append(tbl.name)
        if tbl.alias:
            refs.aliases[tbl.alias] = tbl.name
    for column in node.find_all(exp.Column):
        if isinstance(column.this, exp.Star):
            continue
        scope: dict[str, str] = {}
        select = column.find_ancestor(exp.Select)
        while select is not None:
            for name, table in _select_scope(select).items():
                scope.setdefault(name, table)
            select = select.find_ancestor(exp.Select)
        refs.columns.append(ColumnRef(name=column.name, qualifier=column.table or None, scope=scope, node=column))
    return refs


# ---- every fragment of a contract ----------------------------------------------------------------

_JOIN_FRAGMENTS = (("join_condition", "predicate"), ("condition", "predicate"), ("select_column", "expression"))
_CALC_FRAGMENTS = (("join_condition", "predicate"), ("select_column", "expression"), ("else", "expression"))


def _escape(key: object) -> str:
    return str(key).replace("~", "~0").replace("/", "~1")


def _part_fragments(part: dict[str, Any], path: str, fields: tuple) -> Iterator[tuple[str, Any, FragmentKind]]:
    for name, kind in fields:
        if name in part:
            yield f"{path}/{name}", part[name], kind


def _attribute_fragments(attr: Any, path: str) -> Iterator[tuple[str, Any, FragmentKind]]:
    join = attr.get("join") if isinstance(attr, dict) else None
    calc = attr.get("calculation") if isinstance(attr, dict) else None
    if isinstance(join, dict):
        jpath = f"{path}/join"
        yield from _part_fragments(join, jpath, _JOIN_FRAGMENTS)
        conditions = join.get("join_conditions")
        for k, text in enumerate(conditions if isinstance(conditions, list) else []):
            yield f"{jpath}/join_conditions/{k}", text, "predicate"
        hops = join.get("joins")
        for k, hop in enumerate(hops if isinstance(hops, list) else []):
            if isinstance(hop, dict):
                yield from _part_fragments(hop, f"{jpath}/joins/{k}", _JOIN_FRAGMENTS)
        construction = join.get("construction")
        if isinstance(construction, dict):
            columns = construction.get("select_columns")
            for key, text in (columns.items() if isinstance(columns, dict) else []):
                yield f"{jpath}/construction/select_columns/{_escape(key)}", text, "expression"
            if construction.get("order_by") is not None:
                yield f"{jpath}/construction/order_by", construction["order_by"], "order_by"
    if isinstance(calc, dict):
        cpath = f"{path}/calculation"
        for field, text, kind in _part_fragments(calc, cpath, _CALC_FRAGMENTS):
            count_star = calc.get("operation") == "COUNT" and isinstance(text, str) and text.strip() == "*"
            if not (field.endswith("/select_column") and count_star):
                yield field, text, kind
        cases = calc.get("cases")
        for k, case in enumerate(cases if isinstance(cases, list) else []):
            if isinstance(case, dict):
                yield from _part_fragments(case, f"{cpath}/cases/{k}", (("when", "predicate"), ("then", "expression")))


def fragment_locations(data: Any) -> Iterator[tuple[str, Any, FragmentKind]]:
    """(JSON path, text, kind) of every SQL fragment of a contract given as JSON."""
    tables = data.get("tables") if isinstance(data, dict) else None
    for i, table in enumerate(tables if isinstance(tables, list) else []):
        if not isinstance(table, dict):
            continue
        attrs = table.get("attributes")
        for j, attr in enumerate(attrs if isinstance(attrs, list) else []):
            yield from _attribute_fragments(attr, f"/tables/{i}/attributes/{j}")
        entities = table.get("entities")
        for e, entity in enumerate(entities if isinstance(entities, list) else []):
            attrs = entity.get("attributes") if isinstance(entity, dict) else None
            for j, attr in enumerate(attrs if isinstance(attrs, list) else []):
                yield from _attribute_fragments(attr, f"/tables/{i}/entities/{e}/attributes/{j}")


def fragment_errors(data: Any) -> list[dict[str, str]]:
    """Every refused fragment of a contract: [{path, message, remedy}], all of them."""
    errors: list[dict[str, str]] = []
    for path, text, kind in fragment_locations(data):
        if not isinstance(text, str):
            continue  # a schema error, reported by the validator
        try:
            parse_fragment(text, path, kind)
        except ContractError as exc:
            errors += exc.details.get("errors") or [{"path": path, "message": exc.why, "remedy": exc.remedy}]
    return errors
