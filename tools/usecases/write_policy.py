"""The one write policy of the use cases: what a call needs before it writes outside the workspace.

Two conditions, and neither stands in for the other:

1. Consent for this call: `req.require_write(op, confirm)` (tools/core/consent.py): confirm=true over
   MCP (after the user saw the dry run and said yes), --yes in the CLI, or MYSQL2DDB_ALLOW_WRITES
   for the whole server.
2. Where a contract applies (views, DynamoDB tables, the copy, the Glue job), an approved contract:
   the latest answer at the `contract` gate is an approval that still holds for the workspace's
   contract.json (`gate_state(ws, "contract") == "approved"`: not stale, not rejected), AND the
   contract being run is that contract: its sha256 (tools/contract/digest.py, the hash the approval
   is bound to) equals the approved one. A contract named by path (a CLI argument, a file under
   MYSQL2DDB_READ_DIRS) therefore runs only when it is, canonically, the very contract the user
   approved; an edited copy, an older version or any other contract is refused.

Approving is not consent (an approval says the design is right, not "write it now"), and consent is
not approval: confirm=true, --yes and MYSQL2DDB_ALLOW_WRITES never stand in for the gate. Both are
checked before anything is written, so a refusal leaves no view, table, item, S3 object or Glue job.
Dry runs need neither; they write nothing and say what a real run would still need.
"""

from __future__ import annotations

from typing import Any

from mysql2ddb.tools.contract.digest import contract_sha256
from mysql2ddb.tools.core.access import Caller
from mysql2ddb.tools.core.errors import WorkflowError
from mysql2ddb.tools.modeling.gate_views import current_sha256, gate_state
from mysql2ddb.tools.usecases.request import Request

ANOTHER_CONTRACT = "approved, but for another contract"


def contract_state(req: Request, sha: str | None) -> str:
    """`approved` when the contract with hash `sha` is the one approved and still current; else the
    gate's state (not asked, rejected, feedback, stale) or that the approval is for another contract."""
    state = gate_state(req.workspace, "contract")
    if state == "approved" and (sha is None or current_sha256(req.workspace, "contract") != sha):
        return ANOTHER_CONTRACT
    return state


def _approve_how(req: Request) -> str:
    if req.caller is Caller.CLI:
        return "`mysql2ddb gates approve contract` (the workspace's contract.json)"
    return ("review_gate(gate='contract') to ask the user, or record_approval(gate='contract', "
            "decision='approved') with the answer they gave")


def approval_error(req: Request, sha: str | None, state: str, op: str) -> WorkflowError:
    consent = "confirm=true" if req.caller is Caller.MCP else "--yes"
    if state == "stale":
        why_state = "the user approved contract.json, but it has changed since"
        fix = "show the user the changed contract and have them approve it again: "
    elif state == ANOTHER_CONTRACT:
        why_state = "the approval is for the workspace's contract.json, and this is another contract"
        fix = ("run the workspace's contract.json (leave the contract argument out), or put this contract there "
               "and have the user approve it: ")
    else:
        why_state = f"the gate's state is: {state}"
        fix = "the user approves the contract first: "
    return WorkflowError(
        f"the contract (sha256 {(sha or '?')[:12]}) has no approval at the `contract` gate that holds: {why_state}",
        where=f"{op}: approval gate `contract`",
        remedy=fix + _approve_how(req) + f". {consent} is consent to write, not an approval: the run needs both",
        details={"gate_state": state},
    )


def require_approved(req: Request, sha: str | None, op: str) -> str:
    """Refuse unless the contract with hash `sha` is the approved workspace contract."""
    state = contract_state(req, sha)
    if state != "approved":
        raise approval_error(req, sha, state, op)
    return sha  # type: ignore[return-value]


def authorize(req: Request, op: str, confirm: bool, contract: Any = None, *, sha: str | None = None) -> str | None:
    """The whole policy for one writing call: consent for this call, then (when a contract applies,
    given as a Contract or by its hash) its approval. Returns the approved contract's sha256."""
    req.require_write(op, confirm)
    if contract is None and sha is None:
        return None
    return require_approved(req, sha or contract_sha256(contract), op)


def dry_run_notes(req: Request, sha: str | None) -> list[str]:
    """What a real run would still need, for a dry run's answer."""
    notes = []
    state = contract_state(req, sha)
    if state != "approved":
        notes.append(f"The contract is not approved at the `contract` gate ({state}): a real run is refused "
                     f"until the user approves it ({_approve_how(req)}).")
    if not req.settings.allow_writes:
        consent = "confirm=true" if req.caller is Caller.MCP else "--yes"
        notes.append(f"A real run writes outside the workspace: it needs the user's go-ahead for that call ({consent}).")
    return notes
