"""The workspace's local endpoint for both front ends: start, stop, status (with the tables there and,
on request, a few items of one), and the clients a read of the `embedded` endpoint uses.

`embedded` (the default without AWS credentials) is this endpoint: migrate starts it when none runs
and leaves it running, so verify, status and every later call read the same tables and items until
it is stopped (tools/core/local_endpoint.py runs the process).

The write policy: starting a moto server only writes the workspace's record and serves 127.0.0.1
(start_local_endpoint is WORKSPACE); DynamoDB Local listens on every network interface, so starting
it needs the user's consent for the call (confirm=true / --yes), like any write outside the
workspace. Stopping loses every table and item in it: stop_local_endpoint is EXTERNAL (consent,
with a dry run that lists what would be lost).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field

from mysql2ddb.tools.core.access import Caller
from mysql2ddb.tools.core.aws import EMBEDDED, AwsClients, map_aws_error
from mysql2ddb.tools.core import local_endpoint as local
from mysql2ddb.tools.core.errors import ConfigError, InputError, WorkflowError
from mysql2ddb.tools.core.render import Table
from mysql2ddb.tools.usecases.request import Request

MAX_ITEMS = 100


class TableItems(BaseModel):
    table: str
    items: int | None = Field(None, description="DescribeTable's ItemCount")


class LocalEndpointStatus(BaseModel):
    """The workspace's local endpoint: what runs, where, since when, and what it holds."""

    running: bool
    kind: str | None = None
    url: str | None = None
    pid: int | None = None
    port: int | None = None
    started_at: str | None = None
    listens_on: str | None = None
    record: str = local.RECORD
    started_now: bool = False
    stopped: bool = False
    dry_run: bool = False
    dynamodb_tables: list[TableItems] = Field(default_factory=list)
    items: list[dict[str, Any]] | None = Field(None, description="the first items of the table asked for")
    notes: list[str] = Field(default_factory=list)

    def summary(self) -> str:
        if self.stopped:
            head = f"Stopped the workspace's {self.kind} endpoint at {self.url} (pid {self.pid}); its items are gone."
        elif not self.running:
            head = "No local endpoint runs for this workspace."
        else:
            how = "Started" if self.started_now else "Running:"
            head = (f"{how} the workspace's {self.kind} endpoint at {self.url} (pid {self.pid}, since "
                    f"{self.started_at}, listening on {self.listens_on}); its tables and items stay in memory "
                    "until `mysql2ddb local stop` (MCP: stop_local_endpoint).")
        return "\n\n".join([head, *self.notes])

    def tables(self) -> list[Table]:
        out = []
        if self.dynamodb_tables:
            out.append(Table("DynamoDB tables at the local endpoint", ["table", "items"],
                             [[t.table, "" if t.items is None else f"{t.items:,}"] for t in self.dynamodb_tables]))
        if self.items:
            columns = sorted({k for item in self.items for k in item})
            out.append(Table("Items", columns, [[item.get(c, "") for c in columns] for item in self.items]))
        return out


def _status_of(ep: local.LocalEndpoint | None) -> LocalEndpointStatus:
    if ep is None:
        return LocalEndpointStatus(running=False)
    return LocalEndpointStatus(running=True, kind=ep.kind, url=ep.url, pid=ep.pid, port=ep.port,
                               started_at=ep.started_at, listens_on=ep.listens_on)


def _clients(ep: local.LocalEndpoint, req: Request) -> AwsClients:
    return AwsClients(region=req.region(None), endpoint_url=ep.url, local_kind=ep.kind, max_attempts=3)


def _contents(status: LocalEndpointStatus, ep: local.LocalEndpoint, req: Request, table: str | None,
              limit: int) -> LocalEndpointStatus:
    from botocore.exceptions import BotoCoreError, ClientError

    client = _clients(ep, req).client("dynamodb")
    try:
        names = client.list_tables().get("TableNames", [])
        status.dynamodb_tables = [TableItems(table=n, items=client.describe_table(TableName=n)["Table"].get("ItemCount"))
                                  for n in names]
        if table is not None:
            if table not in names:
                raise InputError(f"no table {table!r} at the local endpoint", where="table",
                                 remedy="choose one of: " + (", ".join(names) or "(none: migrate first)"))
            from boto3.dynamodb.types import TypeDeserializer

            plain = TypeDeserializer()
            page = client.scan(TableName=table, Limit=limit)
            status.items = [{k: _jsonable(plain.deserialize(v)) for k, v in item.items()} for item in page["Items"]]
    except (ClientError, BotoCoreError) as exc:
        raise map_aws_error(exc, f"local endpoint {ep.url}") from None
    return status


def _jsonable(value: Any) -> Any:
    """An item's value for chat: numbers as numbers, binary as its size (a picture is no text)."""
    from decimal import Decimal

    from boto3.dynamodb.types import Binary

    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, Binary):
        value = value.value
    if isinstance(value, (bytes, bytearray)):
        return f"<binary, {len(value):,} bytes>"
    if isinstance(value, (set, frozenset)):
        return sorted(_jsonable(v) for v in value)
    if isinstance(value, list):
        return [_jsonable(v) for v in value]
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    return value


def status(req: Request, table: str | None = None, limit: int = 5) -> LocalEndpointStatus:
    """What runs (read-only: a stale record is reported, not removed), its tables with their item
    counts, and with `table` its first `limit` items."""
    if not 1 <= limit <= MAX_ITEMS:
        raise InputError(f"limit {limit} is out of range", where="limit", remedy=f"ask for 1 to {MAX_ITEMS} items")
    ep = local.running(req.workspace.root, clean=False)
    if ep is None:
        stale = local.stale_record(req.workspace.root)
        out = LocalEndpointStatus(running=False)
        if stale is not None:
            out.notes.append(f"{local.RECORD} names pid {stale.pid}, which no longer runs: the record is stale "
                             "(removed at the next start or stop)")
        if table is not None:
            out.notes.append("no items to show: start the endpoint and migrate into it first")
        return out
    return _contents(_status_of(ep), ep, req, table, limit)


def start(req: Request, kind: str = "moto", port: int | None = None, jar: str | None = None,
          confirm: bool = False) -> LocalEndpointStatus:
    """Start the workspace's local endpoint, or reuse the one running (same kind)."""
    if jar is not None and req.caller is Caller.MCP:
        raise InputError("a jar path is a program to run: only the CLI may name one", where="jar",
                         remedy="leave jar out: the jar found in the project's npm install is used")
    if kind == "dynamodb-local" and not req.consent(confirm).given:
        how = "confirm=true" if req.caller is Caller.MCP else "--yes"
        raise WorkflowError("DynamoDB Local listens on every network interface of this machine (it has no bind "
                            "option): other hosts could read and write the tables put there",
                            where="start_local_endpoint kind=dynamodb-local",
                            remedy=f"ask the user, then call again with {how}; or use kind moto (127.0.0.1 only)")
    ep, started = local.start(req.workspace.root, kind, port=port, jar=Path(jar) if jar else None)
    out = _status_of(ep)
    out.started_now = started
    if ep.listens_on != "127.0.0.1":
        out.notes.append(f"{ep.label} listens on every network interface (port {ep.port}); stop it when done")
    return out


def stop(req: Request, dry_run: bool = False, confirm: bool = False) -> LocalEndpointStatus:
    """Stop the endpoint: every table and item in it is lost (a dry run lists them)."""
    if dry_run:
        shown = status(req)
        shown.dry_run = True
        if shown.running:
            shown.notes.append("Dry run: stopping would end it and lose every table and item listed here.")
        return shown
    req.require_write("stop_local_endpoint", confirm)
    ep, was_running = local.stop(req.workspace.root)
    if ep is None:
        return LocalEndpointStatus(running=False, notes=["nothing to stop"])
    if not was_running:
        return LocalEndpointStatus(running=False, notes=[f"removed a stale {local.RECORD} (pid {ep.pid} was gone)"])
    out = _status_of(ep)
    out.running, out.stopped = False, True
    return out


def reading_clients(req: Request, endpoint: str | None, region: str) -> AwsClients:
    """Clients for a call that only reads (verify): `embedded` is the workspace's running local
    endpoint; none running means nothing was migrated there."""
    if endpoint != EMBEDDED:
        return AwsClients(region=region, endpoint_url=endpoint)
    ep = local.running(req.workspace.root)
    if ep is None:
        raise ConfigError(
            "no local endpoint runs for this workspace, so there are no items of a previous migrate to read there",
            where="endpoint_url embedded",
            remedy="`mysql2ddb migrate` (MCP: migrate) into the embedded endpoint first: it starts the workspace's "
                   "local endpoint and its items stay there until `mysql2ddb local stop`; or name another endpoint")
    return AwsClients(region=region, endpoint_url=ep.url, local_kind=ep.kind)


def status_line(root: Path) -> str | None:
    """One line for the workflow status: the running local endpoint (read-only, no network)."""
    ep = local.running(root, clean=False)
    if ep is None:
        return None
    return (f"{ep.kind} at {ep.url} (pid {ep.pid}, since {ep.started_at}); items stay until "
            "`mysql2ddb local stop` (MCP: stop_local_endpoint)")
