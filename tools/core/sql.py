"""SQL is built and checked as sqlglot ASTs with quoted identifiers; values travel only as
driver parameters. `driver_sql` renders an AST for PyMySQL: `?` placeholders become `%s` and
literal `%` is doubled, decided on tokens, never on raw text."""

from __future__ import annotations

import itertools
from typing import Any, Iterable

import sqlglot
from sqlglot import exp
from sqlglot.tokens import TokenType

DIALECT = "mysql"


def ident(name: str) -> exp.Identifier:
    return exp.to_identifier(name, quoted=True)


def col(name: str, table: str | None = None) -> exp.Column:
    return exp.Column(this=ident(name), table=ident(table) if table else None)


def table(name: str, db: str | None = None, alias: str | None = None) -> exp.Table:
    node = exp.Table(this=ident(name), db=ident(db) if db else None)
    if alias:
        node.set("alias", exp.TableAlias(this=ident(alias)))
    return node


def drop_database(name: str) -> exp.Drop:
    return exp.Drop(tables=[table(name)], kind="DATABASE", exists=True)


def create_database(name: str, if_not_exists: bool = False) -> exp.Create:
    return exp.Create(this=table(name), kind="DATABASE", exists=if_not_exists)


def use_database(name: str) -> exp.Use:
    return exp.Use(this=table(name))


def param() -> exp.Placeholder:
    return exp.Placeholder()


def in_params(column: exp.Expression, count: int) -> exp.In:
    return exp.In(this=column, expressions=[param() for _ in range(count)])


def render(node: exp.Expression) -> str:
    return node.sql(dialect=DIALECT)


def driver_sql(node: exp.Expression) -> str:
    """Render for PyMySQL/aiomysql with parameters: `?` -> `%s`, literal `%` -> `%%`."""
    return driver_sql_ordered(node, itertools.repeat(None), {})[0]


def driver_sql_ordered(node: exp.Expression, positional: Iterable[Any],
                       named: dict[str, Any]) -> tuple[str, list[Any]]:
    """driver_sql for a tree with `?` placeholders (taking `positional` in turn) and named ones
    (`exp.Placeholder(this=name)`, rendered `:name`, taking named[name] wherever they stand, as often
    as they stand): the text and its parameters in the order the driver reads them."""
    text = render(node)
    tokens = list(sqlglot.Dialect.get_or_raise(DIALECT).tokenize(text))
    out: list[str] = []
    params: list[Any] = []
    given = iter(positional)
    pos, i = 0, 0
    while i < len(tokens):
        token = tokens[i]
        start, end = token.start, token.end + 1
        out.append(text[pos:start])
        piece = text[start:end]
        if token.token_type == TokenType.PLACEHOLDER and piece == "?":
            out.append("%s")
            params.append(next(given))
        elif (token.token_type == TokenType.COLON and i + 1 < len(tokens) and tokens[i + 1].start == end
              and tokens[i + 1].text in named):
            out.append("%s")
            params.append(named[tokens[i + 1].text])
            i, end = i + 1, tokens[i + 1].end + 1
        else:
            out.append(piece.replace("%", "%%"))
        pos = end
        i += 1
    out.append(text[pos:].replace("%", "%%"))
    return "".join(out), params


def parse_expression(text: str) -> exp.Expression:
    """Parse one SQL expression (not a statement). Raises sqlglot.ParseError."""
    return sqlglot.parse_one(text, read=DIALECT, into=exp.Condition) if text else exp.null()


def names(values: Iterable[str]) -> list[exp.Literal]:
    return [exp.Literal.string(v) for v in values]
