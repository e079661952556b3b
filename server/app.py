"""The FastMCP app factory. No import-time side effects: nothing connects, starts or reads
until `create_server(settings)` is called and the app runs."""

from __future__ import annotations

import logging
from typing import Any

from fastmcp import FastMCP

from mysql2ddb import __version__
from mysql2ddb.server.adapters.common import Deps
from mysql2ddb.server.plugins import present_modules
from mysql2ddb.tools.core.settings import Settings
from mysql2ddb.tools.core.workspace import Workspace

log = logging.getLogger("mysql2ddb")

INSTRUCTIONS = """\
mysql2ddb moves a MySQL application onto Amazon DynamoDB in three stages:
1. analysis (analyze_schema, analyze_query_log): read-only, against the live database and its logs;
2. modeling: access patterns, a DynamoDB design, its validation and cost, approval gates, a migration contract;
3. execution: views, tables, a resumable copy, verification and a report.
Call `status` to learn where the migration stands and what comes next. Every artifact is a resource
under mysql2ddb://workspace/.
"""

# Each stage registers its own tools; a module missing here simply adds nothing.
ADAPTER_MODULES = (
    "mysql2ddb.server.adapters.workspace_tools",
    "mysql2ddb.server.adapters.analysis_schema",
    "mysql2ddb.server.adapters.analysis_logs",
    "mysql2ddb.server.adapters.modeling",
    "mysql2ddb.server.adapters.modeling_design",
    "mysql2ddb.server.adapters.modeling_keys",
    "mysql2ddb.server.adapters.gates",
    "mysql2ddb.server.adapters.contract",
    "mysql2ddb.server.adapters.execution",
    "mysql2ddb.server.adapters.live",
    "mysql2ddb.server.adapters.workflow",
    "mysql2ddb.server.adapters.prompts",
    "mysql2ddb.server.adapters.glue",
    "mysql2ddb.server.adapters.downstream",
    "mysql2ddb.server.adapters.local",
    "mysql2ddb.server.adapters.s3_import",
    "mysql2ddb.server.adapters.replay",
)


def create_server(settings: Settings | None = None, *, auth: Any = None) -> FastMCP:
    """`auth`: a token verifier for the HTTP transport (server/http_auth.py); None for stdio and in-memory."""
    settings = settings or Settings()
    deps = Deps(settings=settings, workspace=Workspace(settings.workdir))
    app = FastMCP(name="mysql2ddb", instructions=INSTRUCTIONS, version=__version__, auth=auth)
    for module in present_modules(ADAPTER_MODULES):
        module.register(app, deps)
    return app
