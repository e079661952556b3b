"""Streaming a view out of MySQL: ordered, resumable, never whole in memory, and cheap per row.

The query is `SELECT *, <binary key copies> FROM ddb_<t>_view [WHERE key > last] ORDER BY key`,
run with PyMySQL's unbuffered SSCursor, under a server-side time limit (STREAM_SECONDS,
tools/core/db.py `time_limited`). Numeric and temporal key columns order by themselves (an
indexed id streams without a sort); string, binary and float keys order by their bytes
(`CAST(.. AS BINARY)`, selected as an extra column), so the order and the resume comparison are
exact whatever the collation (no case-insensitive or trailing-space ties).

PyMySQL decodes a row in ~14 us on a small machine, about the whole CPU budget of an item.
`PacketReader` reads the same packets from the same connection (in the reader thread, finding
only packet boundaries) and `decode_rows` decodes them with a function generated for the result's
column types (~3 us), producing the very values PyMySQL would (tests compare both on every column
type); anything unusual (zero dates...) takes PyMySQL's own converters.
"""

from __future__ import annotations

import datetime as _dt
from decimal import Decimal
from typing import Any, Iterator

import pymysql
from pymysql import converters as _pmc
from pymysql.protocol import MysqlPacket
from sqlglot import exp

from mysql2ddb.tools.core import sql
from mysql2ddb.tools.core.db import STREAM_SECONDS, time_limited

# key columns whose own SQL order is exact and whose value round-trips as a driver parameter
ORDER_AS_IS = {
    "tinyint", "smallint", "mediumint", "int", "integer", "bigint", "decimal", "numeric", "dec", "fixed",
    "year", "date", "datetime", "timestamp", "time", "bool", "boolean", "serial",
}
EXTRA_PREFIX = "__m2d_k"
READ_SIZE = 1 << 18


def key_order(spec: dict[str, Any]) -> list[tuple[str, bool]]:
    """[(key column, order by its bytes?)] for the table's pk and sk."""
    types = {c["name"]: (c.get("mysql_type") or "").lower() for c in spec.get("columns", [])}
    out = []
    for name in [spec["pk"]] + ([spec["sk"]] if spec.get("sk") else []):
        base = types.get(name, "").split("(")[0].split()[0] if types.get(name) else ""
        out.append((name, base not in ORDER_AS_IS))
    return out


def _key_expr(name: str, binary: bool) -> exp.Expression:
    column = sql.col(name)
    return exp.Cast(this=column, to=exp.DataType.build("BINARY", dialect=sql.DIALECT)) if binary else column


def _after(exprs: list[exp.Expression], values: tuple) -> tuple[exp.Expression, list[Any]]:
    """Lexicographic `(k1, k2, ...) > (v1, v2, ...)` with NULLs first (MySQL's ascending order):
    `> NULL` means IS NOT NULL, `= NULL` means IS NULL."""
    params: list[Any] = []
    branches = []
    for i, (expr, value) in enumerate(zip(exprs, values)):
        terms = []
        for prev_expr, prev in zip(exprs[:i], values[:i]):
            if prev is None:
                terms.append(exp.Is(this=prev_expr.copy(), expression=exp.null()))
            else:
                terms.append(exp.EQ(this=prev_expr.copy(), expression=sql.param()))
                params.append(prev)
        if value is None:
            terms.append(exp.Not(this=exp.Is(this=expr.copy(), expression=exp.null())))
        else:
            terms.append(exp.GT(this=expr.copy(), expression=sql.param()))
            params.append(value)
        branches.append(exp.and_(*terms) if len(terms) > 1 else terms[0])
    condition = exp.or_(*branches) if len(branches) > 1 else branches[0]
    return condition, params


def stream_query(view: str, keys: list[tuple[str, bool]], after: tuple | None = None) -> tuple[str, list[Any]]:
    """The ordered streaming query, resuming after `after` (the key of the last row already done)."""
    exprs = [_key_expr(name, binary) for name, binary in keys]
    select: list[exp.Expression] = [exp.Star()]
    order: list[exp.Expression] = []
    for i, ((name, binary), expr) in enumerate(zip(keys, exprs)):
        if binary:
            alias = f"{EXTRA_PREFIX}{i}"
            select.append(exp.alias_(expr.copy(), sql.ident(alias)))
            order.append(exp.Ordered(this=exp.column(sql.ident(alias)), desc=False, nulls_first=True))
        else:
            order.append(exp.Ordered(this=expr.copy(), desc=False, nulls_first=True))
    query = exp.select(*select).from_(sql.table(view))
    params: list[Any] = []
    if after is not None:
        condition, params = _after(exprs, after)
        query = query.where(condition)
    query = query.order_by(*order)
    # the caller's connection is not open yet: the text carries both flavors' limits
    return time_limited(query, STREAM_SECONDS), params


# ---- fast decoding of text-protocol rows ----------------------------------------------------------

def _generic(encoding: str | None, converter: Any) -> Any:
    def decode(raw: bytes) -> Any:
        value: Any = raw.decode(encoding) if encoding else raw
        return converter(value) if converter is not None else value
    return decode


def _field_expr(i: int, encoding: str | None, converter: Any, env: dict[str, Any]) -> str:
    """Python expression decoding field i from `buf[p:p+n]` as PyMySQL would, for valid values;
    a ValueError (zero dates...) sends the whole row to the PyMySQL-equivalent slow path."""
    raw = "buf[p:p + n]"
    if encoding == "ascii" and converter is int:
        return f"int({raw})"
    if encoding == "ascii" and converter is float:
        return f"float({raw})"
    if encoding == "ascii" and converter is Decimal:
        return f"_Decimal({raw}.decode('ascii'))"
    if encoding == "ascii" and converter is _pmc.convert_datetime:
        return f"_datetime({raw}.decode('ascii'))"
    if encoding == "ascii" and converter is _pmc.convert_date:
        return f"_date({raw}.decode('ascii'))"
    if converter is None and encoding is None:
        return raw
    if converter is None:
        env[f"_enc{i}"] = encoding
        return f"{raw}.decode(_enc{i})"
    env[f"_conv{i}"] = _generic(encoding, converter)
    return f"_conv{i}({raw})"


def build_packet_decoder(converters: list[tuple[str | None, Any]]) -> Any:
    """A function (buf, p) -> row tuple decoding the row packet payload that starts at buf[p],
    unrolled per column. The generated text holds only column indices and the fixed
    expressions above; values PyMySQL would not parse the fast way take `_slow_row`."""
    decoders = [_generic(encoding, converter) for encoding, converter in converters]
    env: dict[str, Any] = {
        "_Decimal": Decimal, "_datetime": _dt.datetime.fromisoformat, "_date": _dt.date.fromisoformat,
        "_long": _long_field, "_slow_row": lambda buf, p: _slow_row(buf, p, decoders),
    }
    lines = ["def decode(buf, p):", "    start = p", "    try:"]
    names = []
    for i, (encoding, converter) in enumerate(converters):
        env[f"_slow{i}"] = decoders[i]
        expr = _field_expr(i, encoding, converter, env)
        lines += [
            "        n = buf[p]",
            "        if n < 251:",
            "            p += 1",
            f"            v{i} = {expr}",
            "            p += n",
            "        elif n == 251:",
            f"            v{i} = None",
            "            p += 1",
            "        else:",
            f"            v{i}, p = _long(buf, p, _slow{i})",
        ]
        names.append(f"v{i}")
    lines += ["    except ValueError:", "        return _slow_row(buf, start)",
              f"    return ({', '.join(names)}{',' if len(names) == 1 else ''})"]
    code = compile("\n".join(lines), "<mysql2ddb row decoder>", "exec")
    exec(code, env)  # noqa: S102 - generated from column indices only
    return env["decode"]


def _slow_row(buf: bytes, p: int, decoders: list[Any]) -> tuple:
    """PyMySQL's own conversions, field by field (zero dates come back as str, as there)."""
    out = []
    for decode in decoders:
        n = buf[p]
        if n < 251:
            out.append(decode(buf[p + 1:p + 1 + n]))
            p += 1 + n
        elif n == 251:
            out.append(None)
            p += 1
        else:
            value, p = _long_field(buf, p, decode)
            out.append(value)
    return tuple(out)


def _long_field(buf: bytes, p: int, decode: Any) -> tuple[Any, int]:
    """A field of 251 bytes or more (length-encoded 2, 3 or 8 byte lengths)."""
    first = buf[p]
    if first == 0xFC:
        n, p = int.from_bytes(buf[p + 1:p + 3], "little"), p + 3
    elif first == 0xFD:
        n, p = int.from_bytes(buf[p + 1:p + 4], "little"), p + 4
    elif first == 0xFE:
        n, p = int.from_bytes(buf[p + 1:p + 9], "little"), p + 9
    else:
        raise pymysql.err.InternalError(f"malformed row packet (length byte {first:#x})")
    return decode(buf[p:p + n]), p + n


class PacketReader:
    """Reads the row packets of the query just executed on `cursor` (an SSCursor), in blocks.

    Runs where the blocking reads may block (a thread): it only finds packet boundaries, the end
    of the result and error packets, and yields packet-aligned blocks of raw rows (or, for a row
    of 16 MB or more, a ("row", payload) tuple). Decoding is `decode_rows`, wherever it suits."""

    def __init__(self, cursor: Any):
        self.conn = cursor.connection
        self.result = self.conn._result
        self.converters = list(self.result.converters)
        self.description = cursor.description
        self.finished = False

    def blocks(self, stop: Any = None) -> Iterator[Any]:
        rfile = self.conn._rfile
        buf = b""
        pos = 0
        while True:
            start = pos
            size = len(buf)
            while pos + 4 <= size:
                plen = buf[pos] | (buf[pos + 1] << 8) | (buf[pos + 2] << 16)
                end = pos + 4 + plen
                if end > size:
                    break
                first = buf[pos + 4] if plen else 0
                if first >= 0xFE or plen == 0xFFFFFF:
                    if pos > start:
                        yield buf[start:pos]
                    if first == 0xFE and plen < 9:  # EOF: the result is complete
                        self._finish()
                        return
                    if first == 0xFF:
                        self.result.unbuffered_active = False
                        MysqlPacket(buf[pos + 4:end], self.conn.encoding).raise_for_error()
                    if plen == 0xFFFFFF:  # a row of 16 MB or more spans several packets
                        payload, end = self._joined(buf, pos)
                        if payload is None:
                            break
                        yield ("row", payload)
                    start = end
                pos = end
            if pos > start:
                yield buf[start:pos]
            if stop is not None and stop.is_set():
                return
            data = rfile.read1(READ_SIZE)
            if not data:
                self.result.unbuffered_active = False
                raise pymysql.err.OperationalError(2013, "Lost connection to MySQL server during query")
            buf = buf[pos:] + data
            pos = 0

    @staticmethod
    def _joined(buf: bytes, pos: int) -> tuple[bytes | None, int]:
        parts = []
        while True:
            if pos + 4 > len(buf):
                return None, pos
            plen = buf[pos] | (buf[pos + 1] << 8) | (buf[pos + 2] << 16)
            if pos + 4 + plen > len(buf):
                return None, pos
            parts.append(buf[pos + 4:pos + 4 + plen])
            pos += 4 + plen
            if plen < 0xFFFFFF:
                return b"".join(parts), pos

    def _finish(self) -> None:
        self.finished = True
        self.result.unbuffered_active = False
        self.result.rows = None
        self.result.connection = None

    def abandon(self) -> None:
        """Stop mid-result: close the socket rather than drain the rest of the table."""
        if not self.finished:
            self.result.unbuffered_active = False
            self.conn._force_close()


def decode_rows(decode: Any, block: Any, pos: int = 0, limit: int = 1 << 30) -> tuple[list[tuple], int]:
    """Rows from a block of PacketReader (at most `limit`, from `pos`): (rows, position after)."""
    if type(block) is tuple:
        return [decode(block[1], 0)], 1
    rows: list[tuple] = []
    append = rows.append
    size = len(block)
    while pos < size and limit:
        append(decode(block, pos + 4))
        pos += 4 + (block[pos] | (block[pos + 1] << 8) | (block[pos + 2] << 16))
        limit -= 1
    return rows, pos


def block_size(block: Any) -> int:
    return 1 if type(block) is tuple else len(block)


class FastRows:
    """PacketReader and decode_rows in one thread: the rows of the executed query in chunks."""

    def __init__(self, cursor: Any):
        self.reader = PacketReader(cursor)
        self.decode = build_packet_decoder(self.reader.converters)
        self.description = cursor.description

    def chunks(self, stop: Any = None) -> Iterator[list[tuple]]:
        for block in self.reader.blocks(stop):
            yield decode_rows(self.decode, block)[0]

    def abandon(self) -> None:
        self.reader.abandon()
