"""The readiness report: before anything is changed, each service's adapter is checked for
health and for the permissions the migration needs, and everything missing is named."""

from __future__ import annotations

import asyncio
import re
from typing import Any, Iterable

from pydantic import BaseModel, Field

from mysql2ddb.tools.core.errors import Mysql2DdbError
from mysql2ddb.tools.core.render import Table
from mysql2ddb.tools.downstream.config import redact

MYSQL_PRIVILEGES = ("SELECT", "SHOW VIEW", "CREATE VIEW")
AWS_ACTIONS = {
    "dynamodb": ["dynamodb:CreateTable", "dynamodb:DescribeTable", "dynamodb:BatchWriteItem"],
    "glue": ["glue:CreateJob", "glue:StartJobRun", "glue:GetJobRun"],
    "s3": ["s3:PutObject", "s3:GetObject"],
}
_GRANT = re.compile(r"^GRANT (.+?) ON (\S+) TO ", re.I)
_ROLE_GRANT = re.compile(r"^GRANT [`'\w@%.-]+ TO ", re.I)


class ServiceReadiness(BaseModel):
    service: str
    via: str
    healthy: bool
    missing: list[str] = Field(default_factory=list)
    unverified: list[str] = Field(default_factory=list)
    error: str | None = None
    remedy: str | None = None


class ReadinessReport(BaseModel):
    ready: bool
    services: list[ServiceReadiness]

    def redacted(self, secrets: Iterable[str]) -> "ReadinessReport":
        """The report with every secret (server env values, DSN password) out of its messages."""
        secrets = list(secrets)

        def clean(text: str | None) -> str | None:
            return redact(text, secrets) if text else text

        return self.model_copy(update={"services": [
            s.model_copy(update={"error": clean(s.error), "remedy": clean(s.remedy)}) for s in self.services]})

    def summary(self) -> str:
        if self.ready:
            return "Every downstream service is reachable and has the permissions the migration needs."
        bad = [s.service for s in self.services if not s.healthy or s.missing]
        return f"Not ready: {', '.join(bad)}. Nothing was changed."

    def tables(self) -> list[Table]:
        rows = [[s.service, s.via, "yes" if s.healthy else "NO", ", ".join(s.missing), ", ".join(s.unverified),
                 s.error or "", s.remedy or ""] for s in self.services]
        return [Table("Downstream readiness", ["service", "via", "healthy", "missing", "unverified", "error", "remedy"], rows)]


def missing_mysql_privileges(grant_lines: list[str], database: str,
                             needed: tuple[str, ...] = MYSQL_PRIVILEGES) -> list[str]:
    """Privileges among `needed` (SELECT, SHOW VIEW, CREATE VIEW) that no grant gives on `database`."""
    have: set[str] = set()
    for line in grant_lines:
        match = _GRANT.match(line.strip())
        if not match:
            continue
        privileges, target = match.group(1).upper(), match.group(2).replace("`", "")
        scope = target.split(".")[0]
        if scope not in ("*", database):
            continue
        if "ALL PRIVILEGES" in privileges:
            have.update(needed)
        have.update(p.strip() for p in privileges.split(","))
    return [p for p in needed if p not in have]


async def check_mysql(port: Any, database: str, needed: tuple[str, ...] = MYSQL_PRIVILEGES,
                      service: str = "mysql") -> ServiceReadiness:
    """Health, the privileges `needed` on `database` (a user with roles: unverified, roles are not
    expanded) and, for an MCP server, that it is connected to that database."""
    try:
        await port.ping()
        rows = await port.query("SHOW GRANTS FOR CURRENT_USER()")
        current = await port.query("SELECT HEX(DATABASE()) AS d, HEX(@@collation_connection) AS c, "
                                   "HEX(@@collation_database) AS b") if port.via != "direct" else []
    except Mysql2DdbError as exc:
        return ServiceReadiness(service=service, via=port.via, healthy=False, error=f"{exc.where}: {exc.why}", remedy=exc.remedy)
    lines = [str(next(iter(row.values()))) for row in rows]
    missing = missing_mysql_privileges(lines, database, needed)
    unverified: list[str] = []
    if missing and any(_ROLE_GRANT.match(line.strip()) for line in lines):
        missing, unverified = [], missing
    remedy = f"GRANT {', '.join(missing)} ON `{database}`.* TO the user of {port.via}" if missing else None
    server = {k: bytes.fromhex(v).decode() for k, v in (current[0] if current else {}).items() if v}
    if port.via != "direct" and server.get("d") != database:
        missing.append(f"connected to database {server.get('d') or '(none)'}, not {database}")
        remedy = "; ".join(filter(None, [remedy, f"set the server's database to {database} "
                                                  f"(mysql-mcp-server: MYSQL_DATABASE={database})"]))
    elif port.via != "direct" and _collations_clash(server.get("c", ""), server.get("b", "")):
        # views it creates keep its collation for their literals: a UNION ALL of entities then mixes two
        missing.append(f"connection collation {server['c']}, not the database's {server['b']}")
        remedy = "; ".join(filter(None, [remedy, "give the server the database's collation "
                                                  f"(mysql-mcp-server: MYSQL_COLLATION={server['b']})"]))
    return ServiceReadiness(service=service, via=port.via, healthy=True, missing=missing, unverified=unverified,
                            remedy=remedy)


def _collations_clash(connection: str, database: str) -> bool:
    """Same character set, another collation: string literals and columns of a view then clash."""
    return bool(connection and database) and connection != database and \
        connection.split("_")[0] == database.split("_")[0]


async def check_aws(service: str, port: Any, simulate: Any = None, actions: list[str] | None = None) -> ServiceReadiness:
    """Health by a read call; permissions by IAM policy simulation through the adapter itself
    (`simulate`: a function actions -> (denied, unverified) instead), where the endpoint has it."""
    try:
        await port.ping()
    except Mysql2DdbError as exc:
        return ServiceReadiness(service=service, via=port.via, healthy=False, error=f"{exc.where}: {exc.why}", remedy=exc.remedy)
    actions = actions or AWS_ACTIONS[service.split(" ")[0]]
    if simulate is not None:
        denied, unverified = await asyncio.to_thread(simulate, actions)
    elif hasattr(port, "simulate"):
        denied, unverified = await port.simulate(actions)
    else:
        return ServiceReadiness(service=service, via=port.via, healthy=True, unverified=actions)
    remedy = f"allow {', '.join(denied)} for these credentials" if denied else None
    return ServiceReadiness(service=service, via=port.via, healthy=True, missing=denied, unverified=unverified, remedy=remedy)


async def readiness_report(ports: dict[str, Any], database: str, simulate: Any = None) -> ReadinessReport:
    checks = []
    for service, port in ports.items():
        if service == "mysql":
            checks.append(check_mysql(port, database))
        else:
            checks.append(check_aws(service, port, simulate))
    services = list(await asyncio.gather(*checks))
    ready = all(s.healthy and not s.missing for s in services)
    return ReadinessReport(ready=ready, services=services)


VIEW_PRIVILEGES = ("SELECT", "SHOW VIEW", "CREATE VIEW", "DROP")  # DROP: CREATE OR REPLACE of an existing view
TABLE_ACTIONS = ["dynamodb:DescribeTable", "dynamodb:CreateTable", "dynamodb:DescribeContinuousBackups",
                 "dynamodb:UpdateContinuousBackups", "dynamodb:TagResource"]
ITEM_ACTIONS = ["dynamodb:BatchWriteItem", "dynamodb:Scan", "dynamodb:DescribeTable"]


async def migration_readiness(ports: Any, reader: Any, direct_dynamo: Any, database: str) -> ReadinessReport:
    """What one migration needs, per adapter: the views' MySQL user may create and replace views;
    when that is an MCP server, mysql2ddb's own DSN (`reader`) needs only SELECT; the tables'
    adapter may create and describe tables; bulk items always go directly (`direct_dynamo`)."""
    views, tables = ports.ports["mysql"], ports.ports["dynamodb"]
    checks = [check_mysql(views, database, VIEW_PRIVILEGES, "mysql (views)")]
    if views.via != "direct":
        checks.append(check_mysql(reader, database, ("SELECT",), "mysql (reads)"))
    if tables.via != "direct":
        checks += [check_aws("dynamodb (tables)", tables, actions=TABLE_ACTIONS),
                   check_aws("dynamodb (items)", direct_dynamo, actions=ITEM_ACTIONS)]
    else:
        checks.append(check_aws("dynamodb (tables, items)", tables, actions=TABLE_ACTIONS + ITEM_ACTIONS[:2]))
    services = list(await asyncio.gather(*checks))
    return ReadinessReport(ready=all(s.healthy and not s.missing for s in services), services=services)


def readiness_error(report: ReadinessReport, secrets: Iterable[str] = ()) -> Mysql2DdbError:
    """The error that stops a migration before anything is written, naming every gap."""
    from mysql2ddb.tools.core.errors import DownstreamError, PrivilegeError

    report = report.redacted(secrets)
    bad = [s for s in report.services if not s.healthy or s.missing]
    parts = [f"{s.service} via {s.via}: " + (f"unreachable ({s.error})" if not s.healthy else "missing " + ", ".join(s.missing))
             for s in bad]
    remedies = "; ".join(s.remedy for s in bad if s.remedy) or "run validate_mcp_servers and fix what it names"
    cls = PrivilegeError if all(s.healthy for s in bad) else DownstreamError
    return cls("not ready, nothing was written: " + " | ".join(parts), where="downstream adapters (before any write)",
               remedy=remedies, details={"readiness": report.model_dump()})
