"""The sync: follow the binlog from the recorded position, apply each batch of transactions through
the contract, and checkpoint the applied position only after DynamoDB acknowledged the batch, so a
SIGKILL at any moment and a resume lose nothing and leave nothing stale.

State lives in the run directory (`cdc.json`, written atomically): position, counts, lag, rate,
errors, the follower's pid, and whether a cutover asked it to stop at a target position
(`cutover-request.json`, written by the cutover).

A DDL on a table the contract reads stops the sync with the position before it checkpointed and
the reason in `cdc.json` (tools/cdc/schema_change.py); a DDL on other tables is passed over and
counted.
"""

from __future__ import annotations

import json
import os
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable, Literal

from pydantic import BaseModel, Field

from mysql2ddb.tools.cdc.apply import ContractIndex, Ops, derive
from mysql2ddb.tools.cdc.schema_change import SchemaChangeStop, is_own_view, stop_for
from mysql2ddb.tools.cdc.stream import SchemaChange, SourcePosition, Transaction, stream_transactions
from mysql2ddb.tools.core.db import Dsn, sync_connection
from mysql2ddb.tools.core.errors import DatabaseError
from mysql2ddb.tools.core.progress import NullProgress, ProgressSink
from mysql2ddb.tools.core.workspace import atomic_write_bytes

CDC_STATE = "cdc.json"
CUTOVER_REQUEST = "cutover-request.json"
STOP_REQUEST = "cdc-stop"
FollowState = Literal["copying", "following", "caught-up", "stopped", "schema-change", "failed"]


class CdcState(BaseModel):
    state: FollowState = "copying"
    start: SourcePosition
    position: SourcePosition
    applied_transactions: int = 0
    applied_changes: int = 0
    puts: int = 0
    deletes: int = 0
    lag_seconds: float = 0.0
    changes_per_second: float = 0.0
    errors: list[str] = []
    pid: int | None = None
    updated: str = ""
    schema_change: SchemaChangeStop | None = Field(
        None, description="the DDL the sync stopped before (state 'schema-change'), with what to do")
    schema_changes_passed_over: int = Field(0, description="DDL on tables the contract does not read, passed over")

    @classmethod
    def load(cls, run_root: Path) -> "CdcState | None":
        path = run_root / CDC_STATE
        return cls.model_validate_json(path.read_text()) if path.is_file() else None

    def save(self, run_root: Path) -> None:
        self.updated = datetime.now(timezone.utc).isoformat(timespec="seconds")
        atomic_write_bytes(run_root / CDC_STATE, self.model_dump_json(indent=2).encode())


def write_ops(client: Any, ops: Ops, attempts: int = 50, parallel: int = 4) -> None:
    """Puts and deletes in BatchWriteItem requests of 25, `parallel` at a time (one item is in one
    request only, so their order does not matter), UnprocessedItems retried with backoff."""
    from concurrent.futures import ThreadPoolExecutor

    requests: dict[str, list[dict]] = {}
    for (table, _key), (kind, body) in ops.items():
        request = {"PutRequest": {"Item": body}} if kind == "put" else {"DeleteRequest": {"Key": body}}
        requests.setdefault(table, []).append(request)
    pending = [(t, r) for t, rs in requests.items() for r in rs]

    def send(start: int) -> None:
        batch: dict[str, list] = {}
        for table, request in pending[start:start + 25]:
            batch.setdefault(table, []).append(request)
        for attempt in range(attempts):
            left = client.batch_write_item(RequestItems=batch).get("UnprocessedItems") or {}
            if not left:
                return
            batch = left
            time.sleep(min(2.0, 0.05 * 2 ** attempt))
        raise RuntimeError(f"DynamoDB left {sum(len(v) for v in batch.values())} write(s) unprocessed")

    starts = list(range(0, len(pending), 25))
    if len(starts) <= 1:
        for start in starts:
            send(start)
        return
    with ThreadPoolExecutor(min(parallel, len(starts))) as pool:
        list(pool.map(send, starts))  # re-raises the first failure


def _cutover_target(run_root: Path) -> SourcePosition | None:
    path = run_root / CUTOVER_REQUEST
    return SourcePosition.model_validate(json.loads(path.read_text())["target"]) if path.is_file() else None


def _unexplained(skipped: set[str], run_id: str) -> DatabaseError:
    return DatabaseError(
        f"re-reading {', '.join(sorted(skipped))} through the contract failed on a column or table the source no "
        f"longer has, and no schema change on a table the contract reads explains it", where=f"live sync of run {run_id}",
        remedy=f"check the contract against the source (`mysql2ddb contract validate`) and restore what is missing, "
               f"then resume (`mysql2ddb live run {run_id}`): the changes since the checkpoint are applied again")


def follow(dsn: Dsn, index: ContractIndex, client: Any, run_root: Path, state: CdcState, *,
           progress: ProgressSink | None = None, batch_seconds: float = 0.2, max_changes: int = 2000,
           should_stop: Callable[[], bool] = lambda: False) -> CdcState:
    """Apply changes from `state.position` until a cutover target is reached or a stop is asked."""
    progress = progress or NullProgress()
    stop_file = run_root / STOP_REQUEST
    state.state, state.pid = "following", os.getpid()
    state.save(run_root)
    pending: list[Transaction] = []
    skipped: set[str] = set()  # contract tables whose re-read failed on what a DDL ahead removed
    first_at = 0.0
    window_start, window_changes = time.monotonic(), 0

    def done() -> bool:
        target = _cutover_target(run_root)
        return should_stop() or stop_file.exists() or (
            target is not None and not pending and state.position.reached(target))

    def flush(conn: Any) -> None:
        nonlocal pending, window_start, window_changes
        ops = derive(conn, index, pending, skipped)
        write_ops(client, ops)
        last = pending[-1]
        if not skipped:  # else the position stays before them until the DDL's stop (which re-builds them)
            state.position = last.position or state.position
        state.applied_transactions += len(pending)
        changes = sum(len(tx.changes) for tx in pending)
        state.applied_changes += changes
        state.puts += sum(1 for kind, _ in ops.values() if kind == "put")
        state.deletes += sum(1 for kind, _ in ops.values() if kind == "delete")
        state.lag_seconds = max(0.0, time.time() - last.timestamp)
        window_changes += changes
        elapsed = time.monotonic() - window_start
        if elapsed >= 5:
            state.changes_per_second, window_start, window_changes = window_changes / elapsed, time.monotonic(), 0
        state.save(run_root)  # only now: DynamoDB acknowledged every write of the batch
        progress.update("live sync", state.applied_changes, None,
                        f"lag {state.lag_seconds:.1f} s, {state.changes_per_second:.0f} changes/s")
        pending = []

    def schema_changed(change: SchemaChange) -> None:
        """Pass a DDL the contract does not read; stop before one it reads (its pending batch applied)."""
        found = stop_for(index, change, run_root.name, unread=skipped)
        if found is None:
            state.schema_changes_passed_over += 0 if is_own_view(index, change) else 1
            if not skipped:
                state.position = change.after
            state.save(run_root)
            return
        if change.before.order() >= state.position.order():
            state.position = change.before
        state.state, state.schema_change = "schema-change", found
        state.save(run_root)
        raise found.error()

    with sync_connection(dsn, "live sync: re-read items") as conn:
        conn.autocommit(True)  # every re-read sees the latest committed state
        for tx in stream_transactions(dsn, state.position, stop=done, tick=True):
            if isinstance(tx, SchemaChange):
                if pending:
                    flush(conn)
                schema_changed(tx)
                continue
            if tx.changes:
                if not pending:
                    first_at = time.monotonic()
                pending.append(tx)
            elif not pending and tx.position is not None:
                if skipped:  # caught up, and no DDL on a table the contract reads explains the failed re-reads
                    error = _unexplained(skipped, run_root.name)
                    state.state, state.errors = "failed", [*state.errors, str(error)]
                    state.save(run_root)  # the position is still before the changes it could not re-read
                    raise error
                state.position, state.lag_seconds = tx.position, 0.0  # caught up: the source is here
            full = sum(len(t.changes) for t in pending) >= max_changes
            if pending and (full or time.monotonic() - first_at >= batch_seconds or not tx.changes):
                flush(conn)
            if done():
                break
        if pending:
            flush(conn)
    target = _cutover_target(run_root)
    state.state = "caught-up" if target is not None and state.position.reached(target) else "stopped"
    state.save(run_root)
    return state
