"""AWS MCP servers as boto3-shaped control-plane clients: `client.describe_table(TableName=...)`
returns the API's response dict and an AWS error raises botocore's ClientError with the API's
error code, exactly as a boto3 client does. So the table and Glue steps run the same code through
either adapter, their per-feature error handling included.

Two server shapes:
- the AWS API MCP server (PyPI `awslabs.aws-api-mcp-server` 1.3.x): one tool, `call_aws`, taking an
  AWS CLI command line. Each boto3 call becomes `aws <service> <operation> --<param> <value>`
  (structures and lists as JSON, booleans as --flag / --no-flag; `--cli-input-json` is refused by
  the server). It cannot send a binary body (`put-object --body` wants a file in the server's
  working directory), so S3 uploads are not served by it.
- the AWS data-processing MCP server (PyPI `awslabs.aws-dataprocessing-mcp-server` 0.2.x):
  `manage_aws_glue_jobs` (get/create/update/delete job, start run, get run) and `upload_to_s3`
  (text bodies). It only updates or deletes jobs it created itself (tagged by it), passes job-run
  arguments as a string (so a run with arguments is refused here: jobs carry theirs as
  DefaultArguments), and has no CloudWatch Logs tool (logs are read directly)."""

from __future__ import annotations

import json
import re
import shlex
import time
from functools import lru_cache
from typing import Any, Callable

from botocore import xform_name
from botocore.exceptions import ClientError

from mysql2ddb.tools.core.errors import DownstreamError
from mysql2ddb.tools.downstream.mcp_client import McpConnection

CLI_SERVICE = {"s3": "s3api"}
_AWS_ERROR = re.compile(r"\((\w+)\) when calling the (\w+) operation: ?(.*)", re.S)


@lru_cache(maxsize=None)
def _operations(service: str) -> tuple[Any, dict[str, str]]:
    import botocore.session

    model = botocore.session.get_session().get_service_model(service)
    return model, {xform_name(name): name for name in model.operation_names}


def cli_command(service: str, operation: str, params: dict[str, Any]) -> str:
    """The AWS CLI command line of one boto3 call (`operation` in boto3's snake_case)."""
    model, names = _operations(service)
    if operation not in names:
        raise AttributeError(f"{service} has no operation {operation}")
    members = model.operation_model(names[operation]).input_shape.members
    words = ["aws", CLI_SERVICE.get(service, service), operation.replace("_", "-")]
    for name, value in params.items():
        if name not in members:
            raise DownstreamError(f"{service} {operation} has no parameter {name}", where="call_aws command",
                                  remedy="report this: the request does not match the AWS API")
        flag, kind = xform_name(name, "-"), members[name].type_name
        if kind == "boolean":
            words.append(f"--{flag}" if value else f"--no-{flag}")
        elif kind == "blob":
            raise DownstreamError(f"{service} {operation} sends a binary {name}, which call_aws cannot pass inline",
                                  where="AWS API MCP server",
                                  remedy=f"serve {service} with the direct client (leave it out of the server's services)")
        elif kind in ("structure", "list", "map"):
            words += [f"--{flag}", json.dumps(value, separators=(",", ":"), default=str)]
        else:
            words += [f"--{flag}", str(value)]
    return " ".join(shlex.quote(w) for w in words)


def client_error(code: str, message: str, operation: str, status: int = 400) -> ClientError:
    return ClientError({"Error": {"Code": code, "Message": message}, "ResponseMetadata": {"HTTPStatusCode": status}},
                       operation)


class _Waiter:
    """boto3's `table_exists` waiter over any describe_table: ACTIVE, or a timeout error."""

    def __init__(self, client: Any):
        self.client = client

    def wait(self, TableName: str, WaiterConfig: dict[str, int] | None = None) -> None:  # noqa: N803 - boto3's names
        config = WaiterConfig or {}
        delay, attempts = config.get("Delay", 20), config.get("MaxAttempts", 25)
        for _ in range(attempts):
            try:
                if self.client.describe_table(TableName=TableName)["Table"].get("TableStatus") == "ACTIVE":
                    return
            except ClientError as exc:
                if exc.response["Error"]["Code"] != "ResourceNotFoundException":
                    raise
            time.sleep(delay)
        raise client_error("WaiterTimeout", f"table {TableName} not ACTIVE after {delay * attempts}s", "DescribeTable")


class _BotoShaped:
    def __init__(self, conn: McpConnection, service: str):
        self.conn, self.service = conn, service
        self.via = f"mcp:{conn.name}"

    def __getattr__(self, operation: str) -> Callable[..., dict[str, Any]]:
        if operation.startswith("_"):
            raise AttributeError(operation)
        return lambda **params: self._invoke(operation, params)

    def get_waiter(self, name: str) -> _Waiter:
        if name != "table_exists":
            raise DownstreamError(f"waiter {name} is not offered through an MCP server", where=self.via,
                                  remedy="report this")
        return _Waiter(self)

    def _invoke(self, operation: str, params: dict[str, Any]) -> dict[str, Any]:
        raise NotImplementedError


class CallAwsClient(_BotoShaped):
    """A boto3-shaped client whose calls go through the AWS API MCP server's `call_aws`."""

    def _invoke(self, operation: str, params: dict[str, Any]) -> dict[str, Any]:
        command = cli_command(self.service, operation, params)
        is_error, texts = self.conn.result_sync("call_aws", {"cli_command": command})
        if is_error:
            raise self.conn.tool_error("call_aws", texts)
        answer = _first_json(texts)
        answer = answer[0] if isinstance(answer, list) and answer else answer
        if not isinstance(answer, dict):
            raise self.conn.tool_error("call_aws", texts)
        response = answer.get("response") or {}
        if response.get("error") or not response:
            failures = answer.get("validation_failures") or answer.get("missing_context_failures") or answer.get("error")
            message = str(response.get("error") or failures or texts)
            code = response.get("error_code") or ("ValidationError" if failures else "McpServerError")
            raise client_error(code, self.conn.safe(message)[:1000], operation, int(response.get("status_code") or 400))
        return json.loads(response.get("as_json") or "{}")


def _first_json(texts: list[str]) -> Any:
    for text in texts:
        try:
            return json.loads(text)
        except ValueError:
            continue
    return None


def _raise_from_text(texts: list[str], operation: str, conn: McpConnection) -> None:
    text = conn.safe(" ".join(texts))
    match = _AWS_ERROR.search(text)
    if match:
        raise client_error(match.group(1), match.group(3)[:1000], match.group(2))
    raise conn.tool_error(operation, texts)


class DataProcessingClient(_BotoShaped):
    """The Glue and S3 calls the data-processing MCP server offers, boto3-shaped; any other
    call is refused with the remedy to serve the service directly."""

    def _tool(self, tool: str, arguments: dict[str, Any], operation: str) -> dict[str, Any]:
        is_error, texts = self.conn.result_sync(tool, arguments)
        if is_error and "not managed by the MCP server" in " ".join(texts):
            raise DownstreamError(self.conn.safe(" ".join(texts))[:500], where=f"{self.via} {operation}",
                                  remedy="this server changes only the Glue jobs it created itself (by its tags; moto "
                                  "does not return them, so there it changes none): name a new job (--job-name), "
                                  "or serve glue directly or through the AWS API MCP server")
        if is_error:
            _raise_from_text(texts, operation, self.conn)
        data = next((d for d in map(_json_or_none, texts) if isinstance(d, dict)), {})
        return data

    def _invoke(self, operation: str, params: dict[str, Any]) -> dict[str, Any]:
        glue = {"get_job": "get-job", "get_jobs": "get-jobs", "create_job": "create-job", "update_job": "update-job",
                "delete_job": "delete-job", "start_job_run": "start-job-run", "get_job_run": "get-job-run"}
        if self.service == "glue" and operation in glue and not params.get("Arguments"):
            return self._glue(glue[operation], operation, dict(params))
        if self.service == "s3" and operation == "put_object":
            body = params["Body"]
            text = body.decode("utf-8") if isinstance(body, bytes) else str(body)
            self._tool("upload_to_s3", {"code_content": text, "bucket_name": params["Bucket"], "s3_key": params["Key"]},
                       operation)
            return {}
        if self.service == "s3" and operation == "list_buckets":
            self._tool("list_s3_buckets", {}, operation)
            return {"Buckets": []}
        raise DownstreamError(f"{self.service} {operation} is not offered by the AWS data-processing MCP server "
                              f"{self.conn.name!r}", where=self.via,
                              remedy=f"serve {self.service} directly (remove it from the server's services) or "
                              "through the AWS API MCP server")

    def _glue(self, op: str, operation: str, params: dict[str, Any]) -> dict[str, Any]:
        args: dict[str, Any] = {"operation": op}
        name = params.pop("JobName", None) or params.pop("Name", None)
        if name:
            args["job_name"] = name
        if "RunId" in params:
            args["job_run_id"] = params.pop("RunId")
        if "MaxResults" in params:
            args["max_results"] = params.pop("MaxResults")
        if op == "create-job":
            args["job_definition"] = params
        elif op == "update-job":
            args["job_definition"] = params.get("JobUpdate", {})
        data = self._tool("manage_aws_glue_jobs", args, operation)
        if op == "get-job":
            return {"Job": data.get("job_details", {})}
        if op == "start-job-run":
            return {"JobRunId": data.get("job_run_id", "")}
        if op == "get-job-run":
            return {"JobRun": data.get("job_run_details", {})}
        if op == "get-jobs":
            return {"Jobs": data.get("jobs", [])}
        return data


def _json_or_none(text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError:
        return None


async def aws_client_for(conn: McpConnection, service: str) -> _BotoShaped:
    """The boto3-shaped client of `service` through this server, by the tools it offers."""
    tools = await conn.tools()
    if "call_aws" in tools:
        return CallAwsClient(conn, service)
    if "manage_aws_glue_jobs" in tools and service in ("glue", "s3"):
        return DataProcessingClient(conn, service)
    raise DownstreamError(f"MCP server {conn.name!r} offers no tool mysql2ddb knows for {service} "
                          f"(it offers {', '.join(tools[:12]) or 'none'})", where=f"mcp server {conn.name!r}",
                          remedy="bind the service to the AWS API MCP server (call_aws) or the AWS data-processing "
                          "MCP server (Glue, S3), or leave it direct")
