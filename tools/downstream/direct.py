"""Direct adapters: aiomysql for MySQL, boto3 (in threads) for DynamoDB, Glue and S3."""

from __future__ import annotations

import asyncio
from typing import Any

from mysql2ddb.tools.core.aws import AwsClients, map_aws_error
from mysql2ddb.tools.core.db import Dsn, async_connection, fetch_all


class DirectMySql:
    via = "direct"

    def __init__(self, dsn: Dsn):
        self.dsn = dsn

    async def ping(self) -> None:
        await self.query("SELECT 1")

    async def query(self, sql: str) -> list[dict[str, Any]]:
        async with async_connection(self.dsn, where="mysql (direct)") as conn:
            return await fetch_all(conn, sql, where="mysql (direct)", dsn=self.dsn)

    async def execute(self, sql: str) -> None:
        await self.query(sql)


class _Boto:
    service = ""

    def __init__(self, aws: AwsClients):
        self.aws = aws
        self.via = "direct"
        self._client: Any = None

    async def _call(self, op: str, **kwargs: Any) -> Any:
        if self._client is None:
            self._client = self.aws.client(self.service, connect_timeout=5, read_timeout=30)
        try:
            return await asyncio.to_thread(getattr(self._client, op), **kwargs)
        except Exception as exc:
            raise map_aws_error(exc, f"{self.service} (direct) {op}") from None


class DirectGlue(_Boto):
    service = "glue"

    async def ping(self) -> None:
        await self._call("get_jobs", MaxResults=1)

    async def create_or_update_job(self, name: str, definition: dict[str, Any]) -> None:
        from mysql2ddb.tools.core.errors import NotFoundError

        try:
            await self._call("get_job", JobName=name)
        except NotFoundError:
            await self._call("create_job", Name=name, **definition)
            return
        await self._call("update_job", JobName=name, JobUpdate=definition)

    async def start_job_run(self, name: str, arguments: dict[str, str] | None = None) -> str:
        kwargs: dict[str, Any] = {"JobName": name}
        if arguments:
            kwargs["Arguments"] = arguments
        return (await self._call("start_job_run", **kwargs))["JobRunId"]

    async def job_run_state(self, name: str, run_id: str) -> str:
        return (await self._call("get_job_run", JobName=name, RunId=run_id))["JobRun"]["JobRunState"]


class DirectS3(_Boto):
    service = "s3"

    async def ping(self) -> None:
        await self._call("list_buckets")

    async def put_text(self, bucket: str, key: str, body: str) -> None:
        await self._call("put_object", Bucket=bucket, Key=key, Body=body.encode("utf-8"))


class DirectDynamo(_Boto):
    service = "dynamodb"

    async def ping(self) -> None:
        await self._call("list_tables", Limit=1)
