"""Preparing the Glue job from a contract (no AWS call): specs with partitioning, the script and
the shipped module, written into the workspace under glue/ for review before anything runs, with
a manifest naming the contract (its sha256) the job was prepared from, so running it can require
that contract's approval."""

from __future__ import annotations

import json
from typing import Any

from pydantic import BaseModel

from mysql2ddb.tools.core.errors import NotFoundError
from mysql2ddb.tools.core.render import Table
from mysql2ddb.tools.core.workspace import Workspace
from mysql2ddb.tools.contract.model import Contract
from mysql2ddb.tools.core.db import Dsn
from mysql2ddb.tools.glue.script import SHIPPED_CONVERT_NAME, convert_module_source, glue_specs, render_job_script

SCRIPT, MODULE, SPECS, MANIFEST = "glue/job.py", f"glue/{SHIPPED_CONVERT_NAME}", "glue/specs.json", "glue/manifest.json"


class GlueJobFiles(BaseModel):
    script: str
    module: str
    specs: str
    manifest: str = MANIFEST
    contract_sha256: str | None = None
    partitioning: dict[str, dict[str, Any]]

    def summary(self) -> str:
        return (f"Glue job script `{self.script}` and conversion module `{self.module}` are ready for review. "
                "Run it with `run_glue_job` (or `mysql2ddb glue run`).")

    def tables(self) -> list[Table]:
        rows = [[t, p.get("rows"), p.get("column") or "(repartition)", p.get("lower"), p.get("upper"), p.get("count")]
                for t, p in self.partitioning.items()]
        return [Table("JDBC partitioning", ["table", "rows", "column", "lower", "upper", "partitions"], rows)]


class PreparedJob(BaseModel):
    """The prepared job as the workspace holds it now: what `run_glue_job` uploads."""

    script: str
    module: str
    specs: dict[str, Any]
    contract_sha256: str | None = None


def prepare_glue_job(contract: Contract, dsn: Dsn, workspace: Workspace, *, rows_per_partition: int = 100_000) -> tuple[GlueJobFiles, dict]:
    from mysql2ddb.tools.contract.catalog import read_catalog_sync
    from mysql2ddb.tools.contract.digest import contract_sha256
    from mysql2ddb.tools.execution.spec import contract_specs

    specs = glue_specs(contract_specs(contract, read_catalog_sync(dsn)), dsn, rows_per_partition)
    workspace.write_text(SCRIPT, render_job_script(contract))
    workspace.write_text(MODULE, convert_module_source())
    workspace.write_text(SPECS, json.dumps(specs, indent=2, default=str))
    sha = contract_sha256(contract)
    workspace.write_json(MANIFEST, {"contract_sha256": sha, "script": SCRIPT, "module": MODULE, "specs": SPECS})
    files = GlueJobFiles(script=SCRIPT, module=MODULE, specs=SPECS, contract_sha256=sha,
                         partitioning={t: s["partitioning"] for t, s in specs.items()})
    return files, specs


def load_prepared(workspace: Workspace) -> PreparedJob:
    """The prepared job files; a job prepared before manifests existed has no contract hash."""
    missing = [rel for rel in (SCRIPT, MODULE, SPECS) if not workspace.exists(rel)]
    if missing:
        raise NotFoundError(f"no prepared Glue job in the workspace ({', '.join(missing)} missing)", where="glue/",
                            remedy="prepare it first: prepare_glue_job (CLI: mysql2ddb glue prepare)")
    manifest = workspace.read_json(MANIFEST) if workspace.exists(MANIFEST) else {}
    return PreparedJob(script=workspace.read_text(SCRIPT), module=workspace.read_text(MODULE),
                       specs=json.loads(workspace.read_text(SPECS)), contract_sha256=manifest.get("contract_sha256"))
