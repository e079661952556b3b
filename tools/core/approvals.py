"""The approval gates' record: every answer a user gives (approved, rejected, feedback) with its
time in UTC, appended to `approvals.json` in the workspace and never rewritten. The latest answer
for a gate wins. Every answer is bound to the hash of what the user reviewed (the patterns, a
table's section, the design, the contract), so an artifact changed afterwards shows its approval
as stale (tools/modeling/gate_views.py gate_state is the one reading of this log that says so).
An approval says the artifact is right; it is never consent to write anything outside the
workspace (tools/core/consent.py).

Gate names: "requirements", "table:<TableName>", "design", "contract".
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
from datetime import datetime, timezone
from typing import Any, Iterator, Literal

from pydantic import BaseModel, Field

from mysql2ddb.tools.core.errors import InputError
from mysql2ddb.tools.core.render import Table
from mysql2ddb.tools.core.workspace import Workspace

APPROVALS_FILE = "approvals.json"
_LOCK_FILE = ".approvals.lock"
FIXED_GATES = ("requirements", "design", "contract")
Decision = Literal["approved", "rejected", "feedback"]
DECISIONS: tuple[str, ...] = ("approved", "rejected", "feedback")


class ApprovalRecord(BaseModel):
    gate: str = Field(description='"requirements", "table:<TableName>", "design" or "contract"')
    subject: str | None = Field(None, description="what was shown: a table name, an artifact path")
    decision: Decision
    feedback: str | None = None
    concerns: list[str] = Field(default_factory=list)
    artifact_sha256: str | None = Field(None, description="hash of what the user reviewed and answered")
    via: str = Field("tool", description="elicitation, input-required, record_approval, cli, ...")
    time: str = Field(description="UTC, ISO-8601")


class ApprovalLog(BaseModel):
    """The whole approvals.json file: answers oldest first."""

    records: list[ApprovalRecord] = Field(default_factory=list)

    def latest(self, gate: str, subject: str | None = None) -> ApprovalRecord | None:
        for record in reversed(self.records):
            if record.gate == gate and (subject is None or record.subject == subject):
                return record
        return None

    def tables(self) -> list[Table]:
        rows = [[r.time, r.gate, r.subject, r.decision, r.via, r.feedback, "; ".join(r.concerns),
                 (r.artifact_sha256 or "")[:12]] for r in self.records]
        return [Table("Approvals", ["time (UTC)", "gate", "subject", "decision", "via", "feedback", "concerns",
                                    "artifact"], rows)]

    def summary(self) -> str:
        if not self.records:
            return "No gate has been answered yet."
        gates = {r.gate for r in self.records}
        approved = sorted(g for g in gates if (last := self.latest(g)) is not None and last.decision == "approved")
        return f"{len(self.records)} answer(s) for {len(gates)} gate(s); approved now: {', '.join(approved) or 'none'}."


def check_gate(gate: str) -> str:
    if gate in FIXED_GATES or (gate.startswith("table:") and gate[len("table:"):].strip()):
        return gate
    raise InputError(
        f"unknown gate {gate!r}",
        where="gate",
        remedy='use "requirements", "design", "contract" or "table:<TableName>"',
    )


def check_decision(decision: str) -> str:
    if decision in DECISIONS:
        return decision
    raise InputError(f"unknown decision {decision!r}", where="decision",
                     remedy="answer approved, rejected or feedback")


@contextlib.contextmanager
def approvals_lock(workspace: Workspace) -> Iterator[None]:
    """Held while an answer is appended, and while a gated artifact is replaced (tools/modeling/
    versions.py): two answers recorded at once (CLI and MCP) both land, and no answer is bound to
    an artifact halfway through its replacement. Not re-entrant."""
    path = workspace.path(_LOCK_FILE)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a+") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def load_approvals(workspace: Workspace) -> ApprovalLog:
    if not workspace.exists(APPROVALS_FILE):
        return ApprovalLog()
    data = workspace.read_json(APPROVALS_FILE)
    records = data.get("records", []) if isinstance(data, dict) else data
    return ApprovalLog(records=[_compatible(r) for r in records])


def _compatible(record: dict[str, Any]) -> dict[str, Any]:
    # Older or hand-written entries may lack a time or a subject; keep them readable.
    return {"time": "", **record}


def now_utc() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def record_approval(
    workspace: Workspace,
    gate: str,
    subject: str | None,
    decision: Decision | str,
    feedback: str | None,
    concerns: list[str] | None,
    artifact_sha256: str | None,
    *,
    via: str = "tool",
) -> ApprovalRecord:
    """Append one answer to approvals.json (with the UTC time) and return it."""
    record = ApprovalRecord(
        gate=check_gate(gate), subject=subject, decision=check_decision(decision),  # type: ignore[arg-type]
        feedback=feedback or None, concerns=[c for c in concerns or [] if c], artifact_sha256=artifact_sha256,
        via=via, time=now_utc(),
    )
    with approvals_lock(workspace):
        log = load_approvals(workspace)
        log.records.append(record)
        workspace.write_json(APPROVALS_FILE, log.model_dump(mode="json"))
    return record


def latest_answer(workspace: Workspace, gate: str, subject: str | None = None) -> ApprovalRecord | None:
    return load_approvals(workspace).latest(gate, subject)


def is_approved(workspace: Workspace, gate: str, subject: str | None = None, artifact_sha256: str | None = None) -> bool:
    """True when the latest answer for the gate (and subject) is an approval, of this artifact
    when a hash is given."""
    record = latest_answer(workspace, gate, subject)
    if record is None or record.decision != "approved":
        return False
    return artifact_sha256 is None or record.artifact_sha256 == artifact_sha256


def open_feedback(workspace: Workspace) -> list[ApprovalRecord]:
    """Rejections and feedback not yet superseded by an approval of the same gate: what a revised
    design must address."""
    log = load_approvals(workspace)
    out = []
    for gate in dict.fromkeys(r.gate for r in log.records):
        latest = log.latest(gate)
        if latest is not None and latest.decision != "approved":
            out.append(latest)
    return out


def canonical_json(data: Any) -> str:
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


def artifact_sha256(data: Any) -> str:
    """sha256 of any JSON artifact (design.json, a table's section) in canonical form."""
    return hashlib.sha256(canonical_json(data).encode("utf-8")).hexdigest()
