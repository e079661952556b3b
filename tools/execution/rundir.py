"""A run directory: everything one migration run leaves behind, so it can be resumed and audited.

    <workspace>/runs/<run_id>/
        contract.json          the contract this run copies (a resume uses the same one)
        settings.json          how it copies (RunSettings: the write cap, the stall timeout), kept for resumes
        state/<table>.json     per-table copy checkpoint (TableState), written atomically
        rejects/<table>.jsonl  one line per rejected source row: key, row, reason
        report.json            the migration report, once the run finished

Run ids are `YYYYmmdd-HHMMSS-xxxxxx` (UTC time + random hex): sortable, and safe as a path.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import secrets
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field

from mysql2ddb.tools.core.errors import InputError, NotFoundError
from mysql2ddb.tools.core.workspace import atomic_write_bytes, to_jsonable
from mysql2ddb.tools.execution.checkpoint import TableState
from mysql2ddb.tools.execution.copy_options import CopyOptions

RUNS_DIR = "runs"
_RUN_ID = re.compile(r"^[0-9]{8}-[0-9]{6}-[0-9a-f]{6}$")
_TABLE = re.compile(r"^[A-Za-z0-9_.-]{1,255}$")


class RunSettings(BaseModel):
    """What the user chose for a run's copy, kept in settings.json so a resume (and the live
    migration's background process) copies the same way; None = the copy engine's default."""

    max_write_units_per_s: float | None = Field(None, gt=0, description=(
        "never write a table faster than this many write units a second (e.g. a table serving live traffic)"))
    stall_timeout_s: float | None = Field(None, gt=0, description=(
        "stop a table, resumably, when none of its writes succeeded for this many seconds"))

    def overridden_by(self, given: RunSettings) -> RunSettings:
        """These settings, with every value `given` states replacing the one kept."""
        return self.model_copy(update=given.model_dump(exclude_none=True))

    def copy_options(self, base: CopyOptions | None) -> CopyOptions:
        return (base or CopyOptions()).model_copy(update=self.model_dump(exclude_none=True))


def new_run_id() -> str:
    return dt.datetime.now(dt.timezone.utc).strftime("%Y%m%d-%H%M%S-") + secrets.token_hex(3)


def _safe_table(table: str) -> str:
    if not _TABLE.match(table) or table in (".", ".."):
        raise InputError(f"table name {table!r} cannot name a file", where="run directory",
                         remedy="use a DynamoDB table name: letters, digits, '_', '-', '.'")
    return table


class RunDir:
    def __init__(self, root: Path, run_id: str):
        self.root = Path(root)
        self.run_id = run_id

    # ---- create / open ----
    @classmethod
    def create(cls, workspace_root: Path | str, contract: Any, run_id: str | None = None) -> "RunDir":
        run_id = run_id or new_run_id()
        if not _RUN_ID.match(run_id):
            raise InputError(f"run id {run_id!r} is malformed", where="run directory",
                             remedy="let mysql2ddb choose it (YYYYmmdd-HHMMSS-xxxxxx)")
        run = cls(Path(workspace_root) / RUNS_DIR / run_id, run_id)
        run.root.mkdir(parents=True, exist_ok=False)
        (run.root / "state").mkdir()
        (run.root / "rejects").mkdir()
        data = contract.dump() if hasattr(contract, "dump") else to_jsonable(contract)
        run.write_json("contract.json", data)
        return run

    @classmethod
    def open(cls, workspace_root: Path | str, run_id: str) -> "RunDir":
        root = Path(workspace_root) / RUNS_DIR / run_id
        if not _RUN_ID.match(run_id) or not (root / "contract.json").is_file():
            known = ", ".join(cls.list_runs(workspace_root)[-5:]) or "none"
            raise NotFoundError(f"no run {run_id!r} in {Path(workspace_root) / RUNS_DIR}", where="--resume",
                                remedy=f"give the id of an earlier run (latest: {known}), or omit --resume")
        return cls(root, run_id)

    @staticmethod
    def list_runs(workspace_root: Path | str) -> list[str]:
        base = Path(workspace_root) / RUNS_DIR
        return sorted(p.name for p in base.iterdir() if _RUN_ID.match(p.name)) if base.is_dir() else []

    # ---- paths ----
    @property
    def contract_path(self) -> Path:
        return self.root / "contract.json"

    def state_path(self, table: str) -> Path:
        return self.root / "state" / f"{_safe_table(table)}.json"

    def reject_path(self, table: str) -> Path:
        return self.root / "rejects" / f"{_safe_table(table)}.jsonl"

    @property
    def settings_path(self) -> Path:
        return self.root / "settings.json"

    @property
    def report_path(self) -> Path:
        return self.root / "report.json"

    # ---- contents ----
    def read_contract(self) -> dict[str, Any]:
        return json.loads(self.contract_path.read_text(encoding="utf-8"))

    def load_settings(self) -> RunSettings:
        """The run's settings; the defaults for a run started before settings.json existed."""
        path = self.settings_path
        return RunSettings.model_validate_json(path.read_bytes()) if path.is_file() else RunSettings()

    def save_settings(self, settings: RunSettings) -> None:
        atomic_write_bytes(self.settings_path, settings.model_dump_json(indent=1).encode("utf-8"))

    def load_state(self, table: str) -> TableState | None:
        path = self.state_path(table)
        if not path.is_file():
            return None
        return TableState.model_validate_json(path.read_bytes())

    def save_state(self, state: TableState) -> None:
        atomic_write_bytes(self.state_path(state.table), state.model_dump_json(indent=1).encode("utf-8"))

    def states(self) -> dict[str, TableState]:
        out = {}
        for path in sorted((self.root / "state").glob("*.json")):
            state = TableState.model_validate_json(path.read_bytes())
            out[state.table] = state
        return out

    def read_rejects(self, table: str) -> list[dict[str, Any]]:
        path = self.reject_path(table)
        if not path.is_file():
            return []
        return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]

    def write_json(self, name: str, obj: Any) -> Path:
        target = (self.root / name).resolve()
        if self.root.resolve() not in target.parents:
            raise InputError(f"{name!r} leaves the run directory", where="run directory", remedy="name a file inside it")
        atomic_write_bytes(target, (json.dumps(to_jsonable(obj), indent=2, default=str) + "\n").encode("utf-8"))
        return target

    def write_report(self, report: Any) -> Path:
        return self.write_json("report.json", report)

    def __repr__(self) -> str:
        return f"RunDir({self.root})"
