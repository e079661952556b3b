"""An AWS service behind its port: the boto3 client (direct) or an MCP server's boto3-shaped
client, a health read, and an IAM policy simulation for the credentials that adapter uses
(the MCP server's own credentials when it serves the service)."""

from __future__ import annotations

import asyncio
from typing import Any, Awaitable, Callable

from mysql2ddb.tools.core.aws import AwsClients, map_aws_error
from mysql2ddb.tools.core.errors import Mysql2DdbError

HEALTH_READS: dict[str, Callable[[Any], Any]] = {
    "dynamodb": lambda c: c.list_tables(Limit=1),
    "glue": lambda c: c.get_jobs(MaxResults=1),
    "s3": lambda c: c.list_buckets(),
}


class AwsPort:
    def __init__(self, service: str, via: str, factory: Callable[[str], Awaitable[Any]], *, can_simulate: bool = True):
        self.service, self.via = service, via
        self._factory = factory
        self._clients: dict[str, Any] = {}
        self._can_simulate = can_simulate

    async def _client_of(self, service: str) -> Any:
        if service not in self._clients:
            self._clients[service] = await self._factory(service)
        return self._clients[service]

    async def client(self) -> Any:
        return await self._client_of(self.service)

    async def ping(self) -> None:
        client = await self.client()
        try:
            await asyncio.to_thread(HEALTH_READS[self.service], client)
        except Mysql2DdbError:
            raise
        except Exception as exc:  # botocore errors, from boto3 or an MCP server alike
            raise map_aws_error(exc, f"{self.service} ({self.via})") from None

    async def simulate(self, actions: list[str]) -> tuple[list[str], list[str]]:
        """IAM policy simulation through this very adapter; unverified where it cannot run
        (moto, no iam:SimulatePrincipalPolicy, or a server without a generic AWS tool)."""
        if not self._can_simulate:
            return [], actions
        try:
            sts, iam = await self._client_of("sts"), await self._client_of("iam")

            def run() -> Any:
                arn = sts.get_caller_identity()["Arn"]
                return iam.simulate_principal_policy(PolicySourceArn=arn, ActionNames=actions)

            results = await asyncio.to_thread(run)
        except Exception:
            return [], actions
        denied = [r["EvalActionName"] for r in results["EvaluationResults"] if r["EvalDecision"] != "allowed"]
        return denied, []


def direct_port(service: str, aws: AwsClients) -> AwsPort:
    async def factory(name: str) -> Any:
        return aws.client(name, connect_timeout=10, read_timeout=60)

    return AwsPort(service, "direct", factory)
