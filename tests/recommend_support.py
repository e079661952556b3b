"""Inputs the registry/context/recommend/contract tests share, computed once per process: the
schema analysis of the live Sakila and Chinook databases, and the query-log analysis of the
Sakila workload capture."""

from __future__ import annotations

import asyncio
import concurrent.futures
import functools
import json
from pathlib import Path
from typing import Any

from mysql2ddb.tools.core.db import Dsn

DATA = Path(__file__).resolve().parent / "data"


@functools.lru_cache(maxsize=4)
def _schema(dsn_text: str) -> Any:
    from mysql2ddb.tools.analysis.schema import analyze_schema

    # its own loop in a worker thread: callers may be async tests with a loop running
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, analyze_schema(Dsn.parse(dsn_text))).result()


def schema_for(dsn: Dsn) -> Any:
    """SchemaAnalysis of a live database (read-only)."""
    return _schema(f"mysql://{dsn.user}@{dsn.host}:{dsn.port}/{dsn.database}")


@functools.lru_cache(maxsize=1)
def sakila_log(capture_dir: Path) -> Any:
    """The query-log analysis (LogAnalysis) of the capture's general log."""
    from mysql2ddb.tools.analysis.logs.analyze import analyze_logs

    return analyze_logs([capture_dir / "general.log.gz"])


def log_json(analysis: Any) -> Any:
    return analysis if isinstance(analysis, dict) else json.loads(analysis.model_dump_json())


def sakila_registry(capture_dir: Path) -> Any:
    from mysql2ddb.tools.modeling.registry import Registry
    from mysql2ddb.tools.modeling.registry_sources import merge_log_patterns

    return merge_log_patterns(Registry(), sakila_log(capture_dir), source="analysis/query_log.json")


def workspace_with(workdir: Path, schema: Any = None, log: Any = None) -> Any:
    """A workspace holding analysis/schema.json and analysis/query_log.json."""
    from mysql2ddb.tools.core.workspace import Workspace

    ws = Workspace(workdir)
    if schema is not None:
        ws.write_json("analysis/schema.json", schema)
    if log is not None:
        ws.write_json("analysis/query_log.json", log_json(log))
    return ws
