"""Transactions per connection: which statements were committed together.

A connection's statements between BEGIN/START TRANSACTION (or, with autocommit off, since the
previous COMMIT) and COMMIT/ROLLBACK form one transaction; the aggregator turns it into a
pattern (a one-statement transaction is just that statement's pattern; an empty one is noise).

Autocommit per connection: on after `Connect` (the server default), set by `SET autocommit=...`.
A connection first seen mid-log has an unknown mode: in a general log (every statement is
there) its statements are held until COMMIT (as with autocommit off); if no COMMIT comes within
`UNKNOWN_MODE_LIMIT` statements, or it quits, they are counted one by one and the connection is
taken as autocommit on; a BEGIN on it also means autocommit on (what it held ran on its
own). Held statements counted one by one count in the second each ran in, not the first's.
A slow log usually holds only the slow statements (a COMMIT may be logged without what it
commits), so there such a connection is taken as autocommit on.

State is bounded: at most `MAX_CONNECTIONS` open connections (the oldest is flushed), and an
open transaction holds one entry per distinct statement fingerprint (at most `MAX_TX_DISTINCT`;
a longer one is cut into consecutive transactions, noted).
"""

from __future__ import annotations

from typing import Any

from mysql2ddb.tools.analysis.logs.aggregate import Aggregator, Metrics, TxItem
from mysql2ddb.tools.analysis.logs.fingerprint import CONTROL, NOISE, READ, Fingerprinter

UNKNOWN_MODE_LIMIT = 1_000
MAX_TX_DISTINCT = 256
MAX_CONNECTIONS = 50_000


class OpenTx:
    """The statements of one open transaction: one TxItem per distinct fingerprint, in order of
    first execution (`first` alone until a second fingerprint comes, the common case)."""

    __slots__ = ("first", "more", "ts", "explicit", "n")

    def __init__(self, ts: int | None, explicit: bool) -> None:
        self.first: TxItem | None = None
        self.more: dict[str, TxItem] | None = None
        self.ts, self.explicit, self.n = ts, explicit, 0

    def full(self, fingerprint: str) -> bool:
        return self.more is not None and len(self.more) >= MAX_TX_DISTINCT and fingerprint not in self.more

    def add(self, shape: Any, sql: str, metrics: Metrics | None, ts: int | None) -> None:
        first, fp = self.first, shape.fingerprint
        if first is None:
            item = self.first = TxItem(shape, sql)
        elif self.more is None:
            if first.shape.fingerprint == fp:
                item = first
            else:
                item = TxItem(shape, sql)
                self.more = {first.shape.fingerprint: first, fp: item}
        else:
            item = self.more.get(fp)
            if item is None:
                item = self.more[fp] = TxItem(shape, sql)
        item.n += 1
        item.tick(ts)
        self.n += 1
        if metrics is not None and len(item.metrics) < TxItem.MAX_METRICS:
            item.metrics.append(metrics)

    def items(self) -> list[TxItem]:
        if self.more is not None:
            return list(self.more.values())
        return [self.first] if self.first is not None else []


class Conn:
    __slots__ = ("autocommit", "tx", "held")

    def __init__(self, autocommit: bool | None) -> None:
        self.autocommit = autocommit
        self.tx: OpenTx | None = None
        # (shape, sql, ts): the one statement of a transaction opened implicitly, before any OpenTx is
        # made for it (most such transactions end there, at COMMIT); Tracker._open makes the OpenTx
        self.held: tuple | None = None


class Tracker:
    """Feeds statements of many connections to the aggregator, grouped into transactions."""

    def __init__(self, agg: Aggregator, fingerprinter: Fingerprinter | None = None,
                 unknown_autocommit: bool | None = None) -> None:
        self.agg = agg
        self.unknown_autocommit = unknown_autocommit  # mode of a connection first seen mid-log
        self.fp = fingerprinter or Fingerprinter()
        self._seen, self._unseen = self.fp.seen, self.fp.unseen
        self.conns: dict[Any, Conn] = {}
        self.statements = 0  # every statement seen, noise included
        self.open_at_end = 0
        self.cut = 0  # transactions cut at MAX_TX_DISTINCT
        self.quit_rollbacks = 0
        self._last_ts: int | None = None

    def _conn(self, conn: Any) -> Conn:
        state = self.conns.get(conn)
        if state is None:
            if len(self.conns) >= MAX_CONNECTIONS:
                oldest = next(iter(self.conns))
                self._flush(self.conns.pop(oldest), rolled=False)
            state = self.conns[conn] = Conn(self.unknown_autocommit)
        return state

    def statement(self, conn: Any, ts: int | None, sql: str, metrics: Metrics | None = None) -> None:
        self.statements += 1
        if ts != self._last_ts:
            self._last_ts = ts
            self.agg.see(ts)
        shape = self._seen(sql) or self._unseen(sql)
        kind = shape.kind
        if kind == NOISE or kind == CONTROL:
            self.agg.noise[shape.noise] += 1
            control = shape.control
            if control == "commit":  # the most frequent control: _control's branch, inline
                state = self.conns.get(conn) or self._conn(conn)
                held = state.held
                if held is not None and held[0].kind == READ:  # what _close -> agg.one would do
                    state.held = None
                    self.agg.single(held[0], held[1], held[2], None)
                elif held is not None or state.tx is not None:
                    self._close(state, rolled=False)
            elif control is not None:
                self._control(conn, ts, control)
            return
        if not shape.parsed:
            self.agg.note_unparsed(shape, sql)
        state = self.conns.get(conn) or self._conn(conn)
        tx = state.tx
        if tx is None:
            if state.autocommit:
                self.agg.single(shape, sql, ts, metrics)
                return
            if state.held is None:  # held until COMMIT (one statement: far below UNKNOWN_MODE_LIMIT)
                if metrics is None:
                    state.held = (shape, sql, ts)
                    return
                tx = state.tx = OpenTx(ts, explicit=False)
            else:
                tx = self._open(state)
        if tx.more is not None and tx.full(shape.fingerprint):
            self.cut += 1
            self._close(state, rolled=False)
            tx = state.tx = OpenTx(ts, explicit=tx.explicit)
        tx.add(shape, sql, metrics, ts)
        if state.autocommit is None and tx.n > UNKNOWN_MODE_LIMIT and not tx.explicit:
            self._singles(tx)  # no COMMIT for this long: the connection autocommits
            state.tx, state.autocommit = None, True

    def _open(self, state: Conn) -> OpenTx | None:
        """The connection's open transaction, made now from its held statement if it has one."""
        held = state.held
        if held is not None:
            state.held = None
            shape, sql, ts = held
            state.tx = OpenTx(ts, explicit=False)
            state.tx.add(shape, sql, None, ts)
        return state.tx

    def _control(self, conn: Any, ts: int | None, control: str) -> None:
        state = self._conn(conn)
        if state.held is not None:
            self._open(state)
        if control == "begin":
            if state.autocommit is None and state.tx is not None and not state.tx.explicit:
                # BEGIN is how autocommit clients open a transaction: what was held ran on its own
                self._singles(state.tx)
                state.tx, state.autocommit = None, True
            self._close(state, rolled=False)  # BEGIN commits an open transaction implicitly
            state.tx = OpenTx(ts, explicit=True)
        elif control == "commit":
            self._close(state, rolled=False)
        elif control == "rollback":
            self._close(state, rolled=True)
        elif control == "autocommit_off":
            if state.tx is not None and not state.tx.explicit and state.autocommit is None:
                self._singles(state.tx)  # held under an unknown mode: they ran on their own
                state.tx = None
            state.autocommit = False
        elif control == "autocommit_on":
            self._close(state, rolled=False)  # switching autocommit on commits
            state.autocommit = True
        elif control == "implicit_commit":
            self._close(state, rolled=False)

    def _close(self, state: Conn, rolled: bool) -> None:
        tx = self._open(state)
        state.tx = None
        if tx is not None and tx.n:
            if tx.more is None:
                self.agg.one(tx.first, tx.ts, rolled)
            else:
                self.agg.transaction(list(tx.more.values()), tx.ts, rolled)

    def _singles(self, tx: OpenTx) -> None:
        """Held statements that ran on their own after all: each counted in its own second."""
        for item in tx.items():
            self.agg.each(item)

    def _flush(self, state: Conn, rolled: bool) -> None:
        tx = self._open(state)
        if tx is None or not tx.n:
            return
        if state.autocommit is None and not tx.explicit:
            self._singles(tx)
            state.tx = None
        else:
            self._close(state, rolled)

    def connect(self, conn: Any) -> None:
        """A new session on this id: what the previous one left open was rolled back."""
        old = self.conns.pop(conn, None)
        if old is not None:
            self._quit_state(old)
        self.conns[conn] = Conn(True)

    def quit(self, conn: Any) -> None:
        state = self.conns.pop(conn, None)
        if state is not None:
            self._quit_state(state)

    def _quit_state(self, state: Conn) -> None:
        self._open(state)
        if state.tx is not None and state.tx.n and (state.tx.explicit or state.autocommit is False):
            self.quit_rollbacks += 1
        self._flush(state, rolled=bool(state.tx and (state.tx.explicit or state.autocommit is False)))

    def finish(self) -> None:
        """End of input: transactions still open were cut off by the end of the log; they count
        as they are (committed)."""
        for state in self.conns.values():
            self._open(state)
            if state.tx is not None and state.tx.n and (state.tx.explicit or state.autocommit is False):
                self.open_at_end += 1
            self._flush(state, rolled=False)
        self.conns.clear()

    def notes(self) -> list[str]:
        out = []
        if self.open_at_end:
            out.append(f"{self.open_at_end} transaction(s) were still open at the end of the log; counted as committed")
        if self.quit_rollbacks:
            out.append(f"{self.quit_rollbacks} transaction(s) ended by a disconnect without COMMIT: counted as "
                       "rolled back (the server rolls them back)")
        if self.cut:
            out.append(f"{self.cut} transaction(s) touched more than {MAX_TX_DISTINCT} distinct statements and "
                       "were cut into consecutive patterns")
        return out
