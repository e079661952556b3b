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


def missing_mysql_privileges(grant_lines: list[str], database: str) -> list[str]:
    """Privileges among SELECT, SHOW VIEW, CREATE VIEW that no grant gives on `database`."""
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
            have.update(MYSQL_PRIVILEGES)
        have.update(p.strip() for p in privileges.split(","))
    return [p for p in MYSQL_PRIVILEGES if p not in have]


async def check_mysql(port: Any, database: str) -> ServiceReadiness:
    try:
        await port.ping()
        rows = await port.query("SHOW GRANTS FOR CURRENT_USER()")
    except Mysql2DdbError as exc:
        return ServiceReadiness(service="mysql", via=port.via, healthy=False, error=f"{exc.where}: {exc.why}", remedy=exc.remedy)
    lines = [str(next(iter(row.values()))) for row in rows]
    missing = missing_mysql_privileges(lines, database)
    remedy = f"GRANT {', '.join(missing)} ON `{database}`.* TO the migration user" if missing else None
    return ServiceReadiness(service="mysql", via=port.via, healthy=True, missing=missing, remedy=remedy)


async def check_aws(service: str, port: Any, simulate: Any = None) -> ServiceReadiness:
    """Health by a read call; permissions by IAM policy simulation where the endpoint has it."""
    try:
        await port.ping()
    except Mysql2DdbError as exc:
        return ServiceReadiness(service=service, via=port.via, healthy=False, error=f"{exc.where}: {exc.why}", remedy=exc.remedy)
    actions = AWS_ACTIONS[service]
    if simulate is None:
        return ServiceReadiness(service=service, via=port.via, healthy=True, unverified=actions)
    denied, unverified = await asyncio.to_thread(simulate, actions)
    remedy = f"allow {', '.join(denied)} for these credentials" if denied else None
    return ServiceReadiness(service=service, via=port.via, healthy=True, missing=denied, unverified=unverified, remedy=remedy)


def iam_simulator(aws: Any) -> Any:
    """A function actions -> (denied, unverified), or unverified for all where the endpoint
    cannot simulate policies (moto) or the caller may not call iam:SimulatePrincipalPolicy."""

    def simulate(actions: list[str]) -> tuple[list[str], list[str]]:
        try:
            arn = aws.client("sts").get_caller_identity()["Arn"]
            results = aws.client("iam").simulate_principal_policy(PolicySourceArn=arn, ActionNames=actions)
        except Exception:
            return [], actions
        denied = [r["EvalActionName"] for r in results["EvaluationResults"] if r["EvalDecision"] != "allowed"]
        return denied, []

    return simulate


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
