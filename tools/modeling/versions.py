"""Gated artifacts are replaced, never overwritten in silence.

access_patterns.json (gate `requirements`), design.json (`design` and each `table:<Name>`) and
contract.json (`contract`) are what the user approves. A new, different version becomes current,
and when the old one carries an answer that approved it (gate_state approved or stale) the old one
is kept as `versions/<name>.v<N>.json`, listed with its sha256 in `versions/index.json`. Approvals
of the old hash then read as `stale` wherever gate_state is asked (gates, list_approvals, status,
migrate), and the caller is told which gates must be answered again. Writing what is already
current is a no-op: nothing is written and every approval stands.
"""

from __future__ import annotations

import json
from typing import Any

from pydantic import BaseModel, Field

from mysql2ddb.tools.core.approvals import approvals_lock, artifact_sha256, load_approvals, now_utc
from mysql2ddb.tools.core.workspace import Workspace, to_jsonable
from mysql2ddb.tools.modeling.gate_views import CONTRACT, DESIGN, PATTERNS, contract_hash, gate_state, table_order

VERSIONS_DIR = "versions"
INDEX = f"{VERSIONS_DIR}/index.json"
MAIN_GATE = {PATTERNS: "requirements", DESIGN: "design", CONTRACT: "contract"}
_HELD = ("approved", "stale")


class Stored(BaseModel):
    """What writing a gated artifact did."""

    path: str
    sha256: str = Field(description="the hash approvals of the artifact bind to")
    changed: bool = Field(description="False: identical to the current artifact, nothing written")
    kept_version: str | None = Field(None, description="where the approved previous version was kept")
    kept_sha256: str | None = None
    stale_gates: list[str] = Field(default_factory=list, description="approvals this change made stale")

    def note(self) -> str:
        if not self.changed:
            return f"`{self.path}` is identical to the current one: nothing was written and its approvals stand."
        parts = []
        if self.kept_version:
            parts.append(f"The previous `{self.path}` (sha256 {(self.kept_sha256 or '')[:12]}) is kept as "
                         f"`{self.kept_version}`.")
        if self.stale_gates:
            parts.append(f"Approvals now STALE (they approved the previous version): "
                         f"{', '.join(self.stale_gates)}. Ask the user again, in order: "
                         + ", ".join(f"review_gate(gate='{g}')" for g in self.stale_gates) + ".")
        return " ".join(parts)


def artifact_hash(rel: str, data: Any) -> str:
    return contract_hash(data) if rel == CONTRACT else artifact_sha256(data)


def tied_gates(ws: Workspace, rel: str) -> list[str]:
    """Answered gates whose subject lives in `rel` (table gates come from the contract only while
    there is no design)."""
    answered = list(dict.fromkeys(r.gate for r in load_approvals(ws).records))
    tables = rel == DESIGN or (rel == CONTRACT and not ws.exists(DESIGN))
    return [g for g in answered if g == MAIN_GATE.get(rel) or (tables and g.startswith("table:"))]


def _next_version(ws: Workspace, rel: str) -> str:
    stem = rel.rsplit(".", 1)[0]
    n = 1
    while ws.exists(f"{VERSIONS_DIR}/{stem}.v{n}.json"):
        n += 1
    return f"{VERSIONS_DIR}/{stem}.v{n}.json"


def _keep(ws: Workspace, rel: str, data: Any, states: dict[str, str]) -> tuple[str, str]:
    kept, sha = _next_version(ws, rel), artifact_hash(rel, data)
    ws.write_json(kept, data)
    index = ws.read_json(INDEX) if ws.exists(INDEX) else {"versions": []}
    index["versions"].append({"artifact": rel, "path": kept, "sha256": sha, "kept_at": now_utc(),
                              "approvals": states})
    ws.write_json(INDEX, index)
    return kept, sha


def store(ws: Workspace, rel: str, obj: Any) -> Stored:
    """Make `obj` the current `rel`, keeping an approved previous version (see the module doc)."""
    data = json.loads(json.dumps(to_jsonable(obj), default=str))  # exactly what lands on disk
    sha = artifact_hash(rel, data)
    with approvals_lock(ws):  # no answer is recorded halfway through a replacement
        current = ws.read_json(rel) if ws.exists(rel) else None
        if current is not None and artifact_sha256(current) == artifact_sha256(data):
            return Stored(path=rel, sha256=sha, changed=False)
        gates = tied_gates(ws, rel) if rel in MAIN_GATE else []
        before = {g: gate_state(ws, g) for g in gates}
        kept = kept_sha = None
        if current is not None and any(s in _HELD for s in before.values()):
            kept, kept_sha = _keep(ws, rel, current, before)
        ws.write_json(rel, data)
        stale = [g for g in gates if before[g] == "approved" and gate_state(ws, g) == "stale"]
    return Stored(path=rel, sha256=sha, changed=True, kept_version=kept, kept_sha256=kept_sha,
                  stale_gates=_in_review_order(ws, stale))


def _in_review_order(ws: Workspace, gates: list[str]) -> list[str]:
    """Table gates in design order, then the whole-artifact gate: the order they are asked in."""
    order = table_order(ws)

    def rank(gate: str) -> tuple[int, int]:
        if gate.startswith("table:"):
            name = gate[len("table:"):]
            return 0, order.index(name) if name in order else len(order)
        return 1, 0

    return sorted(gates, key=rank)
