"""Exact checkpoints for the copy: a resumed run writes every item once more at most, loses none,
and counts each source row exactly once.

The source stream is ordered by the view's key columns, so "everything up to key K" is a prefix a
query can resume after (`WHERE key > K`). Batches are cut from the stream in order and may finish
in any order; the `Frontier` advances over the finished prefix and records, at batch boundaries
where the key changes (so no tie straddles it), the counts and the key below which everything is
acknowledged (a window of item collections dealt over its partition keys is several batches of
which only the last is such a boundary: batcher.py). The frontier also writes the reject lines,
batch by batch in stream order as it advances (the converter's, and the items DynamoDB refused,
found only once a batch is answered), and records the reject file's size: a resume truncates the
file there and never repeats a line.
"""

from __future__ import annotations

import base64
import datetime as dt
import time
from decimal import Decimal
from typing import Any, BinaryIO, Callable

from pydantic import BaseModel, Field


class TableState(BaseModel):
    """One table's copy state in the run directory (state/<table>.json), written atomically."""

    table: str
    view: str
    spec_sha256: str = Field(description="hash of the conversion spec: a resume needs the same one")
    key_columns: list[str] = Field(description="the view columns the stream is ordered by")
    rows: int = Field(0, description="source rows handled (written or rejected) below the checkpoint")
    written: int = Field(0, description="items acknowledged by DynamoDB below the checkpoint")
    rejected: int = Field(0, description="rows sent to the reject file below the checkpoint")
    reject_bytes: int = Field(0, description="size of rejects/<table>.jsonl at the checkpoint")
    retried: int = Field(0, description="requests re-sent (throttling, UnprocessedItems, dropped connections)")
    last_key: list[dict[str, str] | None] | None = Field(
        None, description="typed key values of the last row below the checkpoint; null = from the start")
    done: bool = False
    seconds: float = Field(0.0, description="copy time summed over every run that worked on the table")
    runs: int = Field(0, description="runs that worked on the table (more than 1 = resumed)")
    updated_at: str = ""


# ---- typed key values: the exact value a resume query compares with ---------------------------

def encode_value(value: Any) -> dict[str, str] | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return {"t": "int", "v": str(int(value))}
    if isinstance(value, int):
        return {"t": "int", "v": str(value)}
    if isinstance(value, Decimal):
        return {"t": "decimal", "v": str(value)}
    if isinstance(value, float):
        return {"t": "float", "v": repr(value)}
    if isinstance(value, (bytes, bytearray)):
        return {"t": "bytes", "v": base64.b64encode(bytes(value)).decode("ascii")}
    if isinstance(value, str):
        return {"t": "str", "v": value}
    if isinstance(value, dt.datetime):
        return {"t": "datetime", "v": value.isoformat()}
    if isinstance(value, dt.date):
        return {"t": "date", "v": value.isoformat()}
    if isinstance(value, dt.timedelta):
        return {"t": "timedelta", "v": repr(value.total_seconds()) if value.microseconds else str(int(value.total_seconds()))}
    raise TypeError(f"cannot checkpoint a key value of type {type(value).__name__}")


def decode_value(tagged: dict[str, str] | None) -> Any:
    if tagged is None:
        return None
    kind, text = tagged["t"], tagged["v"]
    if kind == "int":
        return int(text)
    if kind == "decimal":
        return Decimal(text)
    if kind == "float":
        return float(text)
    if kind == "bytes":
        return base64.b64decode(text)
    if kind == "str":
        return text
    if kind == "datetime":
        return dt.datetime.fromisoformat(text)
    if kind == "date":
        return dt.date.fromisoformat(text)
    if kind == "timedelta":
        return dt.timedelta(seconds=float(text)) if "." in text else dt.timedelta(seconds=int(text))
    raise ValueError(f"unknown key value type {kind!r}")


def encode_key(values: tuple) -> list[dict[str, str] | None]:
    return [encode_value(v) for v in values]


def decode_key(tagged: list[dict[str, str] | None] | None) -> tuple | None:
    return None if tagged is None else tuple(decode_value(v) for v in tagged)


# ---- batches and the acknowledged frontier ------------------------------------------------------

class Batch:
    """A BatchWriteItem request cut from the stream, and the stream position it ends at."""

    __slots__ = ("seq", "body", "count", "rows_end", "key_end", "boundary_ok", "rejects", "rejected", "parts",
                 "refused", "refused_by_ddb", "nbytes")

    def __init__(self, seq: int, body: bytes | None, count: int, rows_end: int, key_end: tuple | None,
                 boundary_ok: bool, rejects: bytes = b"", rejected: int = 0):
        self.seq = seq
        self.body = body            # the request body (None when every row of the range was rejected)
        self.count = count          # items in the body
        self.rows_end = rows_end    # rows read in this run up to and including the batch's last row
        self.key_end = key_end      # key of that last row
        self.boundary_ok = boundary_ok  # the next row's key differs (or no row follows)
        self.rejects = rejects      # the converter's reject lines for the batch's rows
        self.rejected = rejected    # how many
        self.parts = 1              # requests of this batch still open (a refused batch is split)
        self.refused: list[bytes] = []  # reject lines of items the batch lost on the way (DynamoDB refused them)
        self.refused_by_ddb = 0     # of those, refused by DynamoDB item by item (not duplicates)
        self.nbytes = 0             # the body's size, once the engine hands the body to its request


class Frontier:
    """Advances over batches acknowledged in any order, writing their reject lines in stream order;
    `flush()` writes an exact checkpoint."""

    def __init__(self, state: TableState, save: Callable[[TableState], None], reject_file: BinaryIO,
                 interval_s: float = 0.5):
        self.state = state
        self._base = (state.rows, state.written, state.rejected)
        self._save = save
        self._rejects = reject_file
        self._interval = interval_s
        self._next = 0
        self._done: dict[int, Batch] = {}
        self._written_run = 0  # items acknowledged in this run over the whole finished prefix
        self._rejected_run = 0  # reject lines written in this run over it
        self._mark: tuple[Batch, int, int, int] | None = None  # the last clean boundary: batch, counts, file size
        self._last_save = time.monotonic()
        self.retried = 0       # requests re-sent in this run, not yet in `state`

    @property
    def written(self) -> int:
        return self._base[1] + self._written_run

    @property
    def rows(self) -> int:
        return self._base[0] + (self._mark[0].rows_end if self._mark else 0)

    def ack(self, batch: Batch) -> None:
        done = self._done
        done[batch.seq] = batch
        while self._next in done:
            b = done.pop(self._next)
            self._next += 1
            lost = len(b.refused)
            if b.rejected or lost:
                self._rejects.write(b.rejects)
                self._rejects.writelines(b.refused)
            self._written_run += b.count - lost
            self._rejected_run += b.rejected + lost
            if b.boundary_ok:
                self._mark = (b, self._written_run, self._rejected_run, self._rejects.tell())
        if time.monotonic() - self._last_save >= self._interval:
            self.flush()

    def flush(self, *, done: bool = False, seconds: float | None = None) -> None:
        st = self.state
        if self._mark is not None:
            b, written_run, rejected_run, reject_bytes = self._mark
            rows0, written0, rejected0 = self._base
            st.rows = rows0 + b.rows_end
            st.written = written0 + written_run
            st.rejected = rejected0 + rejected_run
            st.reject_bytes = reject_bytes
            if b.key_end is not None:
                st.last_key = encode_key(b.key_end)
        st.retried += self.retried
        self.retried = 0
        if seconds is not None:
            st.seconds = seconds
        st.done = done
        st.updated_at = dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")
        self._rejects.flush()  # the lines the state counts are in the file before the state says so
        self._save(st)
        self._last_save = time.monotonic()

    @property
    def pending(self) -> int:
        return len(self._done)
