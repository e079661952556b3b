"""The copy's producer thread: stream a view, convert each row, cut BatchWriteItem bodies.

It runs beside the event loop that sends the requests, handing over groups of ready batches
through a bounded number of slots (backpressure: at most `slots` groups wait; the table is never
in memory). Per row the work is one decode, one conversion and one key comparison; a body is one
`orjson.dumps` per item plus a join.

Rejected rows (the converter's RowRejected, or a second row with the same key: DynamoDB refuses a
batch holding one key twice, and a later put would overwrite the earlier one) go to the reject
file in stream order, with the row and the reason; the batch that covers them records the file
size after them, which makes the checkpoint exact (checkpoint.py).
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import queue
import threading
from decimal import Decimal
from itertools import islice
from operator import eq, itemgetter
from typing import Any, BinaryIO, Callable, Iterator

import orjson
import pymysql.cursors

from mysql2ddb.tools.db import Dsn, map_db_error, sync_connection
from mysql2ddb.tools.execution.checkpoint import Batch
from mysql2ddb.tools.execution.source_stream import FastRows, pymysql_chunks, stream_query

END = object()


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


class Producer:
    """One table's stream -> batches, run by `threading.Thread(target=producer.run)`."""

    def __init__(self, *, dsn: Dsn, table: str, view: str, keys: list[tuple[str, bool]], after: tuple | None,
                 convert: Callable[[Any], dict], rejections: tuple[type[BaseException], ...],
                 reject_file: BinaryIO, deliver: Callable[[Any], None], slots: "queue.SimpleQueue",
                 stop: threading.Event, batch_size: int = 25, group_batches: int = 8, fast: bool = True):
        self.dsn, self.table, self.view, self.keys, self.after = dsn, table, view, keys, after
        self.convert, self.rejections = convert, rejections
        self.reject_file = reject_file
        self.deliver, self.slots, self.stop = deliver, slots, stop
        self.batch_size, self.group_batches, self.fast = batch_size, group_batches, fast
        name = orjson.dumps(table)
        self._prefix = b'{"RequestItems":{' + name + b':[{"PutRequest":{"Item":'
        self._sep = b'}},{"PutRequest":{"Item":'
        self._suffix = b'}}]}}'
        self.read = 0
        self._single = True

    # ---- thread entry ----
    def run(self) -> None:
        """Hand every group over, each taking one slot (a token of `slots`, a SimpleQueue the
        consumer refills): at most that many groups wait; then END, or the exception."""
        try:
            for group in self.groups():
                if not self._wait_slot():
                    break
                self.deliver(group)
        except BaseException as exc:  # handed to the loop, which raises it there
            self.deliver(exc)
        else:
            self.deliver(END)

    def _wait_slot(self) -> bool:
        while True:
            if self.stop.is_set():
                return False
            try:
                self.slots.get(timeout=0.2)
                return not self.stop.is_set()
            except queue.Empty:
                continue

    def groups(self) -> Iterator[list[Batch]]:
        """The stream as groups of batches (the last group ends with the stream's last batch)."""
        sql_text, params = stream_query(self.view, self.keys, self.after)
        where = f"stream {self.view}"
        with sync_connection(self.dsn, where=where, cursorclass=pymysql.cursors.SSCursor) as conn:
            cursor = conn.cursor()
            try:
                cursor.execute(sql_text, params or None)
            except pymysql.err.MySQLError as exc:
                raise map_db_error(exc, where, self.dsn) from None
            names = [d[0] for d in cursor.description]
            width = len(names) - sum(1 for _, binary in self.keys if binary)
            positions = []
            extra = width
            for name, binary in self.keys:
                if binary:
                    positions.append(extra)
                    extra += 1
                else:
                    positions.append(names.index(name))
            key_of = itemgetter(*positions)
            self._single = len(positions) == 1
            reader = FastRows(cursor) if self.fast else None
            chunks = reader.chunks(self.stop) if reader else pymysql_chunks(cursor)
            try:
                yield from self._batches(chunks, key_of, width if width < len(names) else None, names[:width])
            except pymysql.err.MySQLError as exc:
                raise map_db_error(exc, where, self.dsn) from None
            finally:
                if reader is not None:
                    reader.abandon()

    # ---- the hot loop ----
    def _batches(self, chunks: Any, key_of: Any, cut: int | None, columns: list[str]) -> Iterator[list[Batch]]:
        """Cut the stream into batches. A chunk whose keys all differ from their neighbours and
        whose rows all convert takes the fast path (map() over the chunk, no per-row Python
        bookkeeping); any other chunk is replayed row by row, rejecting what must be rejected."""
        convert, rejections, size, single = self.convert, self.rejections, self.batch_size, self._single
        cutter = itemgetter(slice(0, cut)) if cut is not None else None
        dumps = orjson.dumps
        items: list[bytes] = []
        group: list[Batch] = []
        seq = 0
        read = 0
        rejected = 0
        rejected_in_batch = False
        prev: Any = _NOTHING
        full = False
        for rows in chunks:
            keys = list(map(key_of, rows))
            encoded = None
            if keys[0] != prev and not any(map(eq, keys, islice(keys, 1, None))):
                try:
                    encoded = list(map(dumps, map(convert, rows if cutter is None else map(cutter, rows))))
                except rejections:
                    encoded = None
            if encoded is not None:
                count = len(encoded)
                i = 0
                while i < count:
                    if full:  # the next row exists and its key differs: a clean boundary
                        if rejected_in_batch:
                            self.reject_file.flush()
                            rejected_in_batch = False
                        group.append(self._batch(seq, items, read, prev, True, rejected))
                        seq += 1
                        items = []
                        full = False
                        if len(group) >= self.group_batches:
                            yield group
                            group = []
                    take = min(size - len(items), count - i)
                    items += encoded[i:i + take]
                    i += take
                    read += take
                    prev = keys[i - 1]
                    full = len(items) >= size
                continue
            for row, key in zip(rows, keys):
                if full:  # the batch closes when the next row shows whether the key changes here
                    if rejected_in_batch:
                        self.reject_file.flush()
                        rejected_in_batch = False
                    group.append(self._batch(seq, items, read, prev, key != prev, rejected))
                    seq += 1
                    items = []
                    full = False
                    if len(group) >= self.group_batches:
                        yield group
                        group = []
                read += 1
                if key == prev and (key is not None if single else None not in key):
                    self._reject(row, key, columns, cut, "duplicate key: an earlier source row has the same "
                                                         "table key (the view's key is not unique); kept the first")
                    rejected += 1
                    rejected_in_batch = True
                    continue
                prev = key
                try:
                    item = convert(row if cut is None else row[:cut])
                except rejections as exc:
                    self._reject(row, key, columns, cut, str(getattr(exc, "reason", exc)))
                    rejected += 1
                    rejected_in_batch = True
                    continue
                items.append(dumps(item))
                full = len(items) >= size
        self.read = read
        if rejected_in_batch:
            self.reject_file.flush()
        # the last batch (maybe empty: trailing rejects, or no rows at all) ends the stream
        group.append(self._batch(seq, items, read, prev, True, rejected))
        yield group

    def _batch(self, seq: int, items: list[bytes], read: int, key: Any, boundary_ok: bool, rejected: int) -> Batch:
        body = self._prefix + self._sep.join(items) + self._suffix if items else None
        key_end = None if key is _NOTHING else (key,) if self._single else key
        return Batch(seq, body, len(items), read, key_end, boundary_ok, rejected, self.reject_file.tell())

    def _reject(self, row: tuple, key: Any, columns: list[str], cut: int | None, reason: str) -> None:
        values = row if cut is None else row[:cut]
        record = {
            "table": self.table,
            "key": [_jsonable(v) if v is not None else None for v in (key if isinstance(key, tuple) else (key,))],
            "reason": reason,
            "row": {name: (None if v is None else v if isinstance(v, (int, float, str)) else _jsonable(v))
                    for name, v in zip(columns, values)},
        }
        self.reject_file.write(json.dumps(record, ensure_ascii=False, default=_jsonable).encode("utf-8") + b"\n")


_NOTHING = object()
