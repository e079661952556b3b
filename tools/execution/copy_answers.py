"""How a table's copy meets the answers to its requests (the sender's callbacks, sender.py):
acknowledgement, UnprocessedItems and throttling (re-sent first, after a backoff with full
jitter, without a count cap: the copy engine's stall timeout ends a table that makes no
progress), 5xx and dropped connections (bounded in a row), refusals (isolated item by item,
isolate.py) and terminal errors. Each answer feeds the table's rate controller and monitor."""

from __future__ import annotations

import random
from typing import Any

import orjson

from mysql2ddb.tools.core.errors import AwsError
from mysql2ddb.tools.execution.ddb_http import Refused, Retryable, request_body
from mysql2ddb.tools.execution.sender import Job


class RequestFates:
    """Mixed into copy_engine.TableCopy, whose state it reads and updates."""

    def _enqueue(self, job: Job, first: bool = True) -> None:
        if self.closed:
            self.on_dropped(job)
        else:
            self.pacer.submit(job, first)

    # ---- the sender's callbacks (sender.py): one request's fate ----
    def _answer_time(self, job: Job) -> tuple[float, float]:
        sent_at, job.sent_at = job.sent_at, 0.0
        return sent_at, self.loop.time()

    def on_done(self, job: Job) -> None:
        """Every item of the request written."""
        sent_at, now = self._answer_time(job)
        cost = self.controller.answered(job, job.sent, 0, job.consumed)
        self.monitor.answered(sent_at, now, job.sent, 0, job.consumed, cost)
        self.last_progress = now
        self._settled(job)

    def _settled(self, job: Job) -> None:
        """One request of a batch settled; the batch is acknowledged once all its requests are."""
        try:
            batch = job.batch
            batch.parts -= 1
            if batch.parts == 0 and not self.closed:
                self.pending_bytes -= batch.nbytes
                self.space.set()
                self._check_refused(batch)
                self.frontier.ack(batch)
        except Exception as exc:  # noqa: BLE001 - e.g. the state file cannot be written
            self._error(exc)
        finally:
            self._finished()

    def on_refused(self, job: Job, exc: Refused) -> None:
        """DynamoDB refused the request as invalid and wrote none of it: drop repeated keys, else
        split it in halves and send both; a single item refused is a culprit for the reject file."""
        sent_at, now = self._answer_time(job)
        self.monitor.refused(sent_at, now)
        self.controller.failed(job)
        job.errors = 0
        if self.closed:
            self._finished()
            return
        try:
            iso, batch = self.isolation, job.batch
            requests = iso.requests(job.body)
            if len(requests) == 1:
                batch.refused.append(iso.reject_line(requests[0], f"DynamoDB refused the item: {exc.aws_code}: "
                                                                  f"{exc.message}"))
                batch.refused_by_ddb += 1
                self.last_progress = now
                self._settled(job)  # this part is settled
                return
            kept, repeated = iso.split(requests)
            if repeated:
                batch.refused += repeated
                self._resend(job, kept)
                return
            half = len(requests) // 2
            other = Job(self, batch)
            batch.parts += 1
            self.pending += 1
            self._resend(job, requests[:half])
            self._resend(other, requests[half:])
        except Exception as error:  # noqa: BLE001 - an unreadable body: stop the table
            self._error(error)
            self._finished()

    def _resend(self, job: Job, requests: list[dict[str, Any]]) -> None:
        job.body, job.sent, job.attempt = self.isolation.body(requests), len(requests), 0
        self.frontier.retried += 1
        self.loop.call_soon(self._enqueue, job)

    def _check_refused(self, batch: Any) -> None:
        """Every item of a large batch lost, each refused on its own (but repeated keys): the table,
        not the rows, is wrong."""
        limit = self.options.refused_batch_limit
        if not limit or batch.refused_by_ddb < limit or len(batch.refused) < batch.count:
            return
        reason = next(r for r in (orjson.loads(line)["reason"] for line in batch.refused) if r.startswith("DynamoDB"))
        raise AwsError(
            f"DynamoDB refused every one of the {batch.count} items of a batch into {self.table}, each on its own; "
            f"the first: {reason}", where=f"copy {self.table} at {self.shared.sender.url}",
            remedy="a systematic problem, not bad rows: compare the contract's key attributes and types with the "
                   f"table's; the run is checkpointed: resume it with --resume {self.run.run_id} "
                   "(if these rows really are all invalid, set the copy option refused_batch_limit to 0)")

    def on_unprocessed(self, job: Job, unprocessed: dict[str, Any]) -> None:
        """Some items written, the others throttled: those are sent again (first, after a backoff)."""
        sent_at, now = self._answer_time(job)
        left = sum(len(v) for v in unprocessed.values())
        written = max(0, job.sent - left)
        cost = self.controller.answered(job, written, left, job.consumed)
        self.monitor.answered(sent_at, now, written, left, job.consumed, cost)
        if written:
            self.last_progress = now
        job.attempt = job.attempt + 1 if left >= job.sent else 1  # progress resets the backoff
        job.errors = 0
        job.sent = left
        job.body = request_body(unprocessed)
        self._again(job, f"{left} item(s) stayed unprocessed", "throttled")

    def on_retry(self, job: Job, exc: Retryable) -> None:
        sent_at, now = self._answer_time(job)
        if exc.kind == "throttled":  # back-pressure: retried while the table makes progress
            self.controller.throttled(job)
            self.monitor.throttled(sent_at, now, job.sent)
            job.errors = 0
        else:
            self.controller.failed(job)
            self.monitor.failed(sent_at, now)
            job.errors += 1
        job.attempt += 1
        self._again(job, str(exc), exc.kind)

    def on_fail(self, job: Job, exc: BaseException) -> None:
        sent_at, now = self._answer_time(job)
        self.monitor.failed(sent_at, now)
        self._error(exc)
        self._finished()

    def on_dropped(self, job: Job) -> None:
        self._finished()

    def _again(self, job: Job, why: str, kind: str) -> None:
        """Re-send after a backoff with full jitter, first in the table's queue; count it. Errors
        without an answer end the table after `max_attempts` in a row; throttling never does."""
        if kind != "throttled" and job.errors >= self.options.max_attempts:
            self._error(AwsError(  # the failures are counted already (on_retry)
                f"BatchWriteItem into {self.table} failed {job.errors} times in a row; last: {why}",
                where=f"copy {self.table} at {self.shared.sender.url}",
                remedy=f"the run is checkpointed: resume it later with --resume {self.run.run_id}; "
                       "check the endpoint and the network path to it"))
            self._finished()
            return
        self.frontier.retried += 1
        ceiling = min(self.options.backoff_cap_s, self.options.backoff_base_s * (2 ** min(job.attempt - 1, 30)))
        self.loop.call_later(random.uniform(0, ceiling), self._enqueue, job)

    def _error(self, exc: BaseException) -> None:
        if self.error is None:
            self.error = exc
        self.idle.set()
        self.space.set()

    def _finished(self) -> None:
        self.pending -= 1
        if self.pending <= 0:
            self.idle.set()
