"""Artifacts in the workspace are MCP resources: mysql2ddb://workspace/<path>.

Every file in the workspace is listed by resources/list (so a chat client's resource picker shows
them), with a name, a short description and its MIME type (.md text/markdown, .json
application/json, else text/plain); resources/read reads any of them, nested paths included, never
anything outside the workspace (Workspace.path checks, at listing and at every read). The list is
read from disk on every call, so it is always current; after a tool call that wrote or removed
artifacts the client is told (notifications/resources/list_changed, server/adapters/common.py).
The template stays for clients that build URIs themselves.
"""

from __future__ import annotations

import asyncio
import fnmatch
import logging
from collections.abc import Sequence
from pathlib import PurePosixPath
from typing import Any, Callable
from urllib.parse import unquote

from fastmcp import FastMCP
from fastmcp.exceptions import ResourceError
from fastmcp.resources.base import Resource, ResourceContent, ResourceResult
from fastmcp.server.providers import Provider
from fastmcp.tools.base import ToolResult
from pydantic import PrivateAttr

from mysql2ddb.server.adapters.common import ArtifactChanges, Deps, annotations, mapped, result
from mysql2ddb.tools.core.errors import Mysql2DdbError, NotFoundError
from mysql2ddb.tools.core.workspace import RESOURCE_PREFIX, Workspace

MIME_TYPES = {".md": "text/markdown", ".json": "application/json"}

# What each artifact is, for the picker (first match wins; {1}, {2} are the pattern's * parts).
DESCRIPTIONS = (
    ("analysis/schema.json", "Schema analysis (JSON): tables, columns, keys, relationships with measured cardinality"),
    ("01_3_table_structure_analysis.md", "Schema analysis report: tables, keys, indexes, row counts and sizes"),
    ("01_3_entity_relationships.md", "Entity relationships of the source schema with measured cardinality"),
    ("analysis/query_log.json", "Query-log analysis (JSON): access patterns with counts and rates"),
    ("01_2_mysql_log_analysis.md", "Query-log analysis report: access patterns, transactions, noise"),
    ("access_patterns.json", "The access-pattern registry (approval gate: requirements)"),
    ("mcp_context.md", "Modeling context: schema, access patterns and rates in one document"),
    ("design.json", "The DynamoDB design (approval gates: each table, then the design)"),
    ("design_validation.json", "The design's validation: pattern coverage, principles, item sizes, warnings"),
    ("design_cost.json", "The design's monthly cost estimate"),
    ("item_sizes.json", "Item sizes measured from the source data"),
    ("table_keys.json", "Keys chosen for tables without a usable primary key"),
    ("dynamodb_data_model.md", "The DynamoDB data model: tables, keys, indexes, cost"),
    ("contract.json", "The migration contract (approval gate: contract)"),
    ("approvals.json", "Every gate answer: decision, time, the reviewed hash and who answered"),
    ("execution/migration-report.json", "The latest migration's report (JSON)"),
    ("execution/migration-report.md", "The latest migration's report"),
    ("runs/*/report.json", "Migration run {1}: its report"),
    ("runs/*/contract.json", "Migration run {1}: the contract it copied"),
    ("runs/*/state/*.json", "Migration run {1}: copy checkpoint of table {2}"),
    ("runs/*/rejects/*.jsonl", "Migration run {1}: rows of table {2} that were rejected, with the reason"),
    ("versions/index.json", "Earlier approved versions of the gated artifacts, with their hashes"),
    ("versions/*", "An earlier approved version ({1}), kept when a different one replaced it"),
)


def mime_type(path: str) -> str:
    return MIME_TYPES.get(PurePosixPath(path).suffix.lower(), "text/plain")


def description(path: str) -> str:
    for pattern, text in DESCRIPTIONS:
        if fnmatch.fnmatchcase(path, pattern):
            parts = _star_parts(pattern, path)
            return text.format(None, *parts) if parts else text
    return f"Workspace artifact {path}"


def _star_parts(pattern: str, path: str) -> list[str]:
    """The path segments that the pattern's `*` segments matched (stem only for file names)."""
    out = []
    for pat, seg in zip(pattern.split("/"), path.split("/")):
        if "*" in pat:
            out.append(seg.split(".")[0] if pat.startswith("*.") else seg)
    return out


def read_artifact_text(workspace: Workspace, rel: str) -> str | bytes:
    """The artifact's text (bytes when it is not UTF-8), refused outside the workspace."""
    try:
        target = workspace.path(rel)
        if not target.is_file():
            raise NotFoundError(f"no artifact {rel!r} in the workspace", where=RESOURCE_PREFIX + rel,
                                remedy="resources/list (or the list_artifacts tool) names every artifact")
        data = target.read_bytes()
    except Mysql2DdbError as exc:
        # a refusal we expect, not a server fault: logged as information, without a traceback
        raise ResourceError(f"{exc.where}: {exc.why} (remedy: {exc.remedy})", log_level=logging.INFO) from None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data


class ArtifactResource(Resource):
    """One workspace file, read from disk on each resources/read."""

    _reader: Callable[[], str | bytes] = PrivateAttr()

    async def read(self) -> str | bytes:
        return await asyncio.to_thread(self._reader)


class WorkspaceResources(Provider):
    """Every artifact in the workspace, listed from disk on each resources/list."""

    def __init__(self, workspace: Workspace):
        super().__init__()
        self.workspace = workspace

    def resource(self, rel: str) -> ArtifactResource:
        res = ArtifactResource(uri=self.workspace.uri(rel), name=rel, title=PurePosixPath(rel).name,
                               description=description(rel), mime_type=mime_type(rel))
        res._reader = lambda: read_artifact_text(self.workspace, rel)
        return res

    def artifacts(self) -> list[str]:
        return [rel for rel in self.workspace.list() if _inside(self.workspace, rel)]

    async def _list_resources(self) -> Sequence[Resource]:
        return [self.resource(rel) for rel in await asyncio.to_thread(self.artifacts)]

    async def _get_resource(self, uri: str, version: Any = None) -> Resource | None:
        if not uri.startswith(RESOURCE_PREFIX):
            return None
        rel = unquote(uri[len(RESOURCE_PREFIX):])
        if not rel or not _inside(self.workspace, rel) or not self.workspace.path(rel).is_file():
            return None  # the template answers: a clear refusal or "no artifact"
        return self.resource(rel)


def _inside(workspace: Workspace, rel: str) -> bool:
    try:
        workspace.path(rel)  # resolves symlinks: one pointing out of the workspace is not listed
        return True
    except Mysql2DdbError:
        return False


def register(app: FastMCP, deps: Deps) -> None:
    app.add_provider(WorkspaceResources(deps.workspace))
    app.add_middleware(ArtifactChanges(deps.workspace))

    @app.resource(RESOURCE_PREFIX + "{path*}", name="workspace artifact",
                  description="Any workspace artifact by its path (resources/list names each one)")
    def read_artifact(path: str) -> ResourceResult:
        return ResourceResult(contents=[ResourceContent(read_artifact_text(deps.workspace, path),
                                                        mime_type=mime_type(path))])

    @app.tool(annotations=annotations("list_artifacts"))
    @mapped
    async def list_artifacts() -> ToolResult:
        """List every artifact in the workspace with its resource URI."""
        files = deps.workspace.list()
        lines = "\n".join(f"- `{f}` ({deps.workspace.uri(f)})" for f in files) or "(the workspace is empty)"
        return result({"artifacts": [{"path": f, "uri": deps.workspace.uri(f)} for f in files]}, markdown=lines)
