"""From a view's row packets to BatchWriteItem bodies, with the reading in a thread of its own.

`SourceThread` runs PyMySQL's unbuffered SSCursor in a thread: it executes the ordered query and
hands packet-aligned blocks of raw rows to the event loop through a bounded number of slots
(backpressure: the table is never in memory). It does no per-value work, so it hardly holds the
GIL: two threads both busy in Python pay several microseconds an item in GIL hand-offs.

`Batcher` (in the loop, fed by copy_engine) decodes, converts and cuts batches: per row one
decode, one conversion and one key comparison; per body one `orjson.dumps` per item and a join.
A run of rows whose keys all differ and that all convert takes a map() fast path.

Rejected rows (the converter's RowRejected, or a second row with the same key: DynamoDB refuses a
batch holding one key twice, and a later put would overwrite the earlier one) become reject lines,
with the row and the reason, carried by the batch that covers them: the checkpoint's frontier
writes them in stream order once the batch is acknowledged, which keeps the file exact
(checkpoint.py). A batch closes early once its reject lines pass REJECT_BATCH_BYTES, so a table
whose rows are all rejected is never held in memory.

Item collections written in key order put one partition key after another, and a partition takes
at most 1,000 write units a second: a table with a sort key is cut in windows of `interleave`
items (or WINDOW_BYTES), and each window's items are dealt round-robin over its partition keys
(the first item of each key, then the second...) before being cut into batches, so every batch
mixes many keys. The checkpoint stays exact: only a window's last batch carries the window's end
(rows, key, clean boundary) and all of its reject lines, its other batches are never a checkpoint
(boundary_ok False), so "every row below the key is acknowledged" still holds (checkpoint.py).
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import queue
import threading
from decimal import Decimal
from itertools import islice, zip_longest
from operator import eq, itemgetter
from typing import Any, BinaryIO, Callable, Iterator

import orjson
import pymysql.cursors

from mysql2ddb.tools.core.db import Dsn, map_db_error, sync_connection
from mysql2ddb.tools.execution.checkpoint import Batch
from mysql2ddb.tools.execution.source_stream import PacketReader, build_packet_decoder, decode_rows, stream_query

END = object()
_NOTHING = object()
REJECT_BATCH_BYTES = 256 * 1024
WINDOW_BYTES = 8 * 1024 * 1024
DUPLICATE = "duplicate key: an earlier source row has the same table key (the view's key is not unique); kept the first"
MERGED = ("duplicate key: an earlier source row of the same batch converts to the same DynamoDB key {key!r} "
          "(distinct source keys, e.g. '07' and '7' as a number); kept the first")


def _jsonable(value: Any) -> Any:
    if isinstance(value, (bytes, bytearray)):
        return {"base64": base64.b64encode(bytes(value)).decode("ascii")}
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, (dt.date, dt.datetime, dt.time)):
        return value.isoformat()
    if isinstance(value, dt.timedelta):
        return str(value)
    if isinstance(value, (set, frozenset)):
        return sorted(value)
    return str(value)


class Header:
    """What the reader learns from the executed query: column names and PyMySQL's converters."""

    def __init__(self, names: list[str], converters: list[tuple[Any, Any]]):
        self.names = names
        self.converters = converters


class SourceThread:
    """One view's ordered stream: `threading.Thread(target=source.run)` delivers a Header, then
    blocks of raw rows (each taking a token of `slots`, a SimpleQueue the consumer refills), then
    END, or the exception that stopped it."""

    def __init__(self, dsn: Dsn, view: str, keys: list[tuple[str, bool]], after: tuple | None,
                 deliver: Callable[[Any], None], slots: "queue.SimpleQueue", stop: threading.Event):
        self.dsn, self.view, self.keys, self.after = dsn, view, keys, after
        self.deliver, self.slots, self.stop = deliver, slots, stop

    def run(self) -> None:
        try:
            for item in stream_blocks(self.dsn, self.view, self.keys, self.after, self.stop):
                if isinstance(item, Header):
                    self.deliver(item)
                elif self._wait_slot():
                    self.deliver(item)
                else:
                    break
        except BaseException as exc:  # handed to the loop, which raises it there
            self.deliver(exc)
        else:
            self.deliver(END)

    def _wait_slot(self) -> bool:
        while not self.stop.is_set():
            try:
                self.slots.get(timeout=0.2)
                return not self.stop.is_set()
            except queue.Empty:
                continue
        return False


def stream_blocks(dsn: Dsn, view: str, keys: list[tuple[str, bool]], after: tuple | None,
                  stop: threading.Event | None = None) -> Iterator[Any]:
    """Execute the ordered streaming query; yield its Header, then blocks of raw row packets."""
    sql_text, params = stream_query(view, keys, after)
    where = f"stream {view}"
    with sync_connection(dsn, where=where, cursorclass=pymysql.cursors.SSCursor) as conn:
        cursor = conn.cursor()
        try:
            cursor.execute(sql_text, params or None)
            reader = PacketReader(cursor)
            yield Header([d[0] for d in cursor.description], reader.converters)
            try:
                yield from reader.blocks(stop)
            finally:
                reader.abandon()
        except pymysql.err.MySQLError as exc:
            raise map_db_error(exc, where, dsn) from None


class Batcher:
    """Rows in stream order -> Batches (and reject lines). `push(rows)` returns the batches
    completed so far; `finish()` the last ones, which end the stream (maybe one empty)."""

    def __init__(self, *, table: str, header: Header, keys: list[tuple[str, bool]],
                 convert: Callable[[Any], dict], rejections: tuple[type[BaseException], ...],
                 batch_size: int = 25, merged_key: Callable[[dict], str] | None = None,
                 interleave: int = 0, suffix: bytes = b""):
        """`merged_key`: item -> DynamoDB key text, when distinct source keys may convert to one
        (isolate.merging_key): a batch (a window) then never holds one DynamoDB key twice.
        `interleave`: items a window deals over its partition keys (0: off; only with a sort key).
        `suffix`: request parameters after RequestItems (ddb_http.RETURN_CONSUMED)."""
        self.table, self.convert, self.rejections = table, convert, rejections
        self.batch_size, self.merged_key = batch_size, merged_key
        self.window = interleave if interleave > batch_size and len(keys) > 1 else 0
        self.size = self.window or batch_size  # items that close the open batch (or window)
        self.pks: list[Any] = []  # the open window's partition key values, one an item
        self.window_bytes = 0
        self.batch_keys: set[str] = set()
        self.decode = build_packet_decoder(header.converters)
        names = header.names
        self.width = len(names) - sum(1 for _, binary in keys if binary)
        self.columns = names[:self.width]
        positions, extra = [], self.width  # binary copies of string keys follow the view's columns
        for name, binary in keys:
            positions.append(extra if binary else names.index(name))
            extra += binary
        self.key_of = itemgetter(*positions)
        self.single = len(positions) == 1
        self.cut = self.width if self.width < len(names) else None
        self._prefix = b'{"RequestItems":{' + orjson.dumps(table) + b':[{"PutRequest":{"Item":'
        self._sep = b'}},{"PutRequest":{"Item":'
        self._suffix = b'}}]}' + suffix + b'}'
        self.items: list[bytes] = []
        self.seq = self.read = 0
        self.rejects: list[bytes] = []  # the open batch's reject lines
        self.reject_bytes = 0
        self.prev: Any = _NOTHING
        self.full = False

    def push(self, rows: list[tuple]) -> list[Batch]:
        out: list[Batch] = []
        if not rows:
            return out
        keys = list(map(self.key_of, rows))
        encoded = None
        if self.merged_key is None and keys[0] != self.prev and not any(map(eq, keys, islice(keys, 1, None))):
            try:
                encoded = list(map(orjson.dumps, map(self.convert, rows)))  # extra trailing values ignored
            except self.rejections:
                encoded = None
        if encoded is not None:
            size, count, i = self.size, len(encoded), 0
            while i < count:
                if self.full:  # the next row exists and its key differs: a clean boundary
                    out.extend(self._close(True))
                take = min(size - len(self.items), count - i)
                self.items += encoded[i:i + take]
                if self.window:
                    self._window_add(keys[i:i + take], encoded[i:i + take])
                i += take
                self.read += take
                self.prev = keys[i - 1]
                self.full = self.full or len(self.items) >= size
            return out
        for row, key in zip(rows, keys):
            if self.full:  # the batch closes when the next row shows whether the key changes here
                out.extend(self._close(key != self.prev))
            self.read += 1
            if key == self.prev and (key is not None if self.single else None not in key):
                self._reject(row, key, DUPLICATE)
                continue
            self.prev = key
            try:
                item = self.convert(row)
            except self.rejections as exc:
                self._reject(row, key, str(getattr(exc, "reason", exc)))
                continue
            if self.merged_key is not None:
                text = self.merged_key(item)
                if text in self.batch_keys:
                    self._reject(row, key, MERGED.format(key=text))
                    continue
                self.batch_keys.add(text)
            encoded_item = orjson.dumps(item)
            self.items.append(encoded_item)
            if self.window:
                self._window_add((key,), (encoded_item,))
            self.full = self.full or len(self.items) >= self.size
        return out

    def finish(self) -> list[Batch]:
        return self._close(True)

    def _window_add(self, keys: list[Any], encoded: list[bytes]) -> None:
        self.pks += [k[0] for k in keys]
        self.window_bytes += sum(map(len, encoded))
        if self.window_bytes >= WINDOW_BYTES:
            self.full = True

    def _close(self, boundary_ok: bool) -> list[Batch]:
        """The open batch, or the open window dealt over its partition keys and cut in batches."""
        items, self.items, self.full = self.items, [], False
        self.batch_keys.clear()
        parts = [items]
        if self.window:
            pks, self.pks, self.window_bytes = self.pks, [], 0
            if len(set(pks)) > 1:
                items = _interleaved(items, pks)
            parts = [items[i:i + self.batch_size] for i in range(0, len(items), self.batch_size)] or [[]]
        key = self.prev
        key_end = None if key is _NOTHING else (key,) if self.single else key
        batches = []
        for n, part in enumerate(parts):
            last = n == len(parts) - 1
            body = self._prefix + self._sep.join(part) + self._suffix if part else None
            batch = Batch(self.seq, body, len(part), self.read, key_end, boundary_ok and last)
            if last and self.rejects:
                batch.rejects, batch.rejected = b"".join(self.rejects), len(self.rejects)
                self.rejects, self.reject_bytes = [], 0
            self.seq += 1
            batches.append(batch)
        return batches

    def _reject(self, row: tuple, key: Any, reason: str) -> None:
        values = row if self.cut is None else row[:self.cut]
        record = {
            "table": self.table,
            "key": [None if v is None else _jsonable(v) for v in ((key,) if self.single else key)],
            "reason": reason,
            "row": {name: (None if v is None else v if isinstance(v, (int, float, str)) else _jsonable(v))
                    for name, v in zip(self.columns, values)},
        }
        line = json.dumps(record, ensure_ascii=False, default=_jsonable).encode("utf-8") + b"\n"
        self.rejects.append(line)
        self.reject_bytes += len(line)
        if self.reject_bytes >= REJECT_BATCH_BYTES:
            self.full = True  # closes at the next row, where the key boundary is known


def _interleaved(items: list[bytes], pks: list[Any]) -> list[bytes]:
    """Items dealt round-robin over their partition keys, keys in order of first appearance."""
    groups: dict[Any, list[bytes]] = {}
    for item, pk in zip(items, pks):
        groups.setdefault(pk, []).append(item)
    return [item for deal in zip_longest(*groups.values()) for item in deal if item is not None]


def iter_batches(dsn: Dsn, table: str, view: str, keys: list[tuple[str, bool]], convert: Callable[[Any], dict],
                 rejections: tuple[type[BaseException], ...], reject_file: BinaryIO,
                 batch_size: int = 25) -> Iterator[Batch]:
    """All of a view's batches in this thread (benchmarks, tests): the same pieces, no loop; the
    reject lines go to `reject_file` as their batches are yielded."""
    batcher: Batcher | None = None
    for item in stream_blocks(dsn, view, keys, None):
        if isinstance(item, Header):
            batcher = Batcher(table=table, header=item, keys=keys, convert=convert, rejections=rejections,
                              batch_size=batch_size)
            continue
        for batch in batcher.push(decode_rows(batcher.decode, item)[0]):
            reject_file.write(batch.rejects)
            yield batch
    if batcher is not None:
        for batch in batcher.finish():
            reject_file.write(batch.rejects)
            yield batch
