"""`validate_mcp_servers` for both front ends: the readiness of every downstream service, before
any change.

The downstream servers come only from the file the user named in MYSQL2DDB_MCP_SERVERS_FILE:
each is a program this process starts, so no caller argument may name one (an assistant could be
steered into starting anything). The DSN is resolved like every other (tools/core/credentials.py),
the AWS endpoint is the configured one. Secrets (the servers' env and header values, passwords
in their URLs, the DSN password) are redacted from the report and from any error."""

from __future__ import annotations

from typing import Any

from mysql2ddb.tools.core.aws import AwsClients, aws_clients
from mysql2ddb.tools.core.db import Dsn
from mysql2ddb.tools.core.errors import InputError, Mysql2DdbError
from mysql2ddb.tools.downstream.config import SERVICES, load_downstream_config, redact
from mysql2ddb.tools.downstream.migration import MigrationDownstream
from mysql2ddb.tools.downstream.readiness import ReadinessReport, readiness_report
from mysql2ddb.tools.downstream.selection import DownstreamPorts
from mysql2ddb.tools.usecases.request import Request


def _services(names: list[str] | None) -> tuple[str, ...]:
    unknown = [n for n in names or [] if n not in SERVICES]
    if unknown:
        raise InputError(f"unknown service(s) {', '.join(unknown)}", where="services",
                         remedy="choose among " + ", ".join(SERVICES))
    return tuple(names) if names else SERVICES


def _redacted(exc: Mysql2DdbError, secrets: list[str]) -> Mysql2DdbError:
    clean = type(exc)(redact(exc.why, secrets), where=redact(exc.where, secrets),
                      remedy=redact(exc.remedy, secrets))  # details are dropped: they may quote a secret
    clean.transient = exc.transient
    return clean


async def validate_mcp_servers(req: Request, dsn: str | None = None,
                               services: list[str] | None = None) -> ReadinessReport:
    wanted = _services(services)
    config = load_downstream_config(req.settings.mcp_servers_file)
    database = req.optional_dsn(dsn)
    secrets = config.secrets() + ([database.password] if database and database.password else [])
    try:
        with aws_clients(req.endpoint(None), req.region(None)) as aws:
            async with DownstreamPorts(config, database, aws, wanted) as ports:
                report = await readiness_report(ports.ports, database.database if database else "")
    except Mysql2DdbError as exc:
        raise _redacted(exc, secrets) from None
    return report.redacted(secrets)


def migration_downstream(req: Request, dsn: Dsn, aws: AwsClients) -> MigrationDownstream:
    """The adapters serving a migration's views and tables: the servers of the user's
    MYSQL2DDB_MCP_SERVERS_FILE that claim mysql or dynamodb, the direct clients otherwise
    (IAM is simulated through each adapter: a server's own credentials where it serves)."""
    return MigrationDownstream(load_downstream_config(req.settings.mcp_servers_file), dsn, aws)


def with_aws_ports(req: Request, aws: AwsClients, services: tuple[str, ...], work: Any) -> Any:
    """Run `work(clients, via)` with the control-plane client of each service: through the server
    of MYSQL2DDB_MCP_SERVERS_FILE that claims it, else None (the caller's boto3 client). `via`
    names the adapter per service. Synchronous callers only (the Glue run, in a worker thread)."""
    import asyncio

    config = load_downstream_config(req.settings.mcp_servers_file)
    if not any(config.server_for(s) for s in services):  # type: ignore[arg-type]
        return work({s: None for s in services}, {s: "direct" for s in services})

    async def through_ports() -> Any:
        async with DownstreamPorts(config, None, aws, services) as ports:
            clients = {s: await ports.aws_client(s) if ports.delegated(s) else None for s in services}
            return await asyncio.to_thread(work, clients, {s: ports.via(s) for s in services})

    return asyncio.run(through_ports())
