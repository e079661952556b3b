"""One write policy. Every operation a front end offers is registered here with its effect; the
MCP tool annotations are derived from this registry, and the write-policy tests enumerate it, so
a new writing tool cannot slip past.

An operation that writes outside the workspace (views in MySQL, DynamoDB tables and items, Glue
jobs, S3 objects, downstream calls that write) runs only with consent for that call:
`confirm=true` over MCP (after asking the user), `--yes` in the CLI, or MYSQL2DDB_ALLOW_WRITES for
the whole server. Each such operation has a dry run that shows what would be written. Consent is
never implied by an approval: approving a design or contract says the design is right, not that
the user wants it written now. Where a contract applies, its approval is required as well (the use
cases check it through tools/core/approvals.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from mysql2ddb.tools.core.errors import WorkflowError


class Effect(str, Enum):
    READ_ONLY = "read_only"
    WORKSPACE = "writes_workspace"  # artifacts in the workspace only
    EXTERNAL = "writes_external"  # MySQL, DynamoDB, Glue, S3, downstream servers


@dataclass(frozen=True)
class Operation:
    name: str  # the MCP tool name
    effect: Effect
    writes: str = ""  # what it writes outside the workspace, for the refusal and the README


OPERATIONS: dict[str, Operation] = {}


def register(name: str, effect: Effect, writes: str = "") -> Operation:
    op = Operation(name, effect, writes)
    OPERATIONS[name] = op
    return op


def operation(name: str) -> Operation:
    return OPERATIONS[name]


@dataclass(frozen=True)
class Consent:
    """What the caller said about writing, for this one call."""

    confirmed: bool = False  # confirm=true / --yes
    server_allows: bool = False  # MYSQL2DDB_ALLOW_WRITES

    @property
    def given(self) -> bool:
        return self.confirmed or self.server_allows


def require_consent(op: Operation, consent: Consent, *, how: str) -> None:
    """Refuse a write outside the workspace without consent for this call. `how` names the
    caller's way to consent (confirm=true / --yes)."""
    if op.effect is not Effect.EXTERNAL or consent.given:
        return
    raise WorkflowError(
        f"{op.name} writes {op.writes or 'outside the workspace'} and needs the user's consent for this call",
        where=op.name,
        remedy=f"show the user the dry run (dry_run=true / --dry-run), ask, then call again with {how}",
    )


# Every operation of the product, in one table (names are the MCP tool names; CLI commands map onto them).
for _name in ("analyze_schema", "analyze_query_log", "list_access_patterns", "analyze_hot_partitions",
              "design_alternatives", "list_approvals", "validate_contract", "plan_migration", "verify_migration",
              "status", "validate_mcp_servers", "list_artifacts"):
    register(_name, Effect.READ_ONLY)
for _name in ("build_access_patterns", "add_access_pattern", "edit_access_pattern", "set_pattern_rps",
              "remove_access_pattern", "build_context_document", "recommend_design",
              "submit_design", "validate_design", "estimate_cost", "measure_item_sizes", "render_data_model",
              "generate_contract", "review_gate", "record_approval", "prepare_glue_job"):
    register(_name, Effect.WORKSPACE)
register("choose_table_key", Effect.WORKSPACE)
register("create_views", Effect.EXTERNAL, "views (CREATE OR REPLACE VIEW) into the source MySQL database")
register("create_tables", Effect.EXTERNAL, "DynamoDB tables (CreateTable) from the contract")
register("migrate", Effect.EXTERNAL, "views into MySQL, and tables and items into DynamoDB")
register("run_glue_job", Effect.EXTERNAL, "the job script to S3, a Glue job and its run, and items into DynamoDB")
register("import_from_s3", Effect.EXTERNAL, "DynamoDB JSON to S3 and new tables created by ImportTable")
# the workspace's local endpoint (server/adapters/local.py says why each effect)
register("local_endpoint_status", Effect.READ_ONLY)
register("start_local_endpoint", Effect.WORKSPACE)
register("stop_local_endpoint", Effect.EXTERNAL, "the end of the workspace's local endpoint (every table and item in it is lost)")
register("start_cdc", Effect.EXTERNAL, "views, tables and items, then every source change, into DynamoDB by a "
         "background sync")
register("resume_cdc", Effect.EXTERNAL, "the rest of a live run's copy, then every source change, into DynamoDB "
         "by a background sync (past a schema change only when accepted)")
register("cutover", Effect.EXTERNAL, "stops the live sync of a run (after verifying every item)")
register("replay_access_patterns", Effect.READ_ONLY)  # reads MySQL and DynamoDB; its report is all it writes
