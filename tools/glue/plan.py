"""Preparing the Glue job from a contract (no AWS call): specs with partitioning, the script and
the shipped module, written into the workspace under glue/ for review before anything runs."""

from __future__ import annotations

import json
from typing import Any

from pydantic import BaseModel

from mysql2ddb.tools.core.render import Table
from mysql2ddb.tools.core.workspace import Workspace
from mysql2ddb.tools.contract.model import Contract
from mysql2ddb.tools.core.db import Dsn
from mysql2ddb.tools.glue.script import SHIPPED_CONVERT_NAME, convert_module_source, glue_specs, render_job_script


class GlueJobFiles(BaseModel):
    script: str
    module: str
    specs: str
    partitioning: dict[str, dict[str, Any]]

    def summary(self) -> str:
        return (f"Glue job script `{self.script}` and conversion module `{self.module}` are ready for review. "
                "Run it with `run_glue_job` (or `mysql2ddb glue run`).")

    def tables(self) -> list[Table]:
        rows = [[t, p.get("rows"), p.get("column") or "(repartition)", p.get("lower"), p.get("upper"), p.get("count")]
                for t, p in self.partitioning.items()]
        return [Table("JDBC partitioning", ["table", "rows", "column", "lower", "upper", "partitions"], rows)]


def prepare_glue_job(contract: Contract, dsn: Dsn, workspace: Workspace, *, rows_per_partition: int = 100_000) -> tuple[GlueJobFiles, dict]:
    from mysql2ddb.tools.contract.catalog import read_catalog_sync
    from mysql2ddb.tools.execution.spec import contract_specs

    specs = glue_specs(contract_specs(contract, read_catalog_sync(dsn)), dsn, rows_per_partition)
    workspace.write_text("glue/job.py", render_job_script(contract))
    workspace.write_text(f"glue/{SHIPPED_CONVERT_NAME}", convert_module_source())
    workspace.write_text("glue/specs.json", json.dumps(specs, indent=2, default=str))
    files = GlueJobFiles(script="glue/job.py", module=f"glue/{SHIPPED_CONVERT_NAME}", specs="glue/specs.json",
                         partitioning={t: s["partitioning"] for t, s in specs.items()})
    return files, specs
