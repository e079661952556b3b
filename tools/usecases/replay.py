"""`replay_access_patterns` (MCP) and `mysql2ddb replay` (CLI): does the design answer the
application's queries the way MySQL does? Read-only on both sides.

Inputs are resolved here once: the DSN (`req.dsn`), the contract (the workspace's contract.json or
a file the caller may read), the design (design.json or a readable file), the access patterns
(access_patterns.json), the query log (a file the caller may read; without one, parameter sets
come from the data), and the endpoint the migration wrote to (`req.endpoint`; `embedded` reads
the workspace's running local endpoint, as verify does). The report goes to replay/report.json.
"""

from __future__ import annotations

import asyncio

from mysql2ddb.tools.contract.catalog import read_catalog
from mysql2ddb.tools.contract.digest import contract_sha256
from mysql2ddb.tools.core.errors import InputError, NotFoundError
from mysql2ddb.tools.modeling.cost import pattern_units
from mysql2ddb.tools.modeling.gate_views import gate_state
from mysql2ddb.tools.modeling.inputs import schema_facts
from mysql2ddb.tools.modeling.registry import load_registry
from mysql2ddb.tools.modeling.sizes import resolve_item_sizes
from mysql2ddb.tools.replay.report import REPORT_PATH, ReplayReport
from mysql2ddb.tools.replay.run import Sources
from mysql2ddb.tools.replay.run import replay as run_replay
from mysql2ddb.tools.usecases import local_endpoint, modeling_design
from mysql2ddb.tools.usecases.execution import Outcome
from mysql2ddb.tools.usecases.request import Request

MAX_SAMPLES = 1000


def _measured_locally(endpoint_url: str | None) -> bool:
    """A local stand-in's ConsumedCapacity is no measurement (moto reports a constant)."""
    return endpoint_url is not None and "amazonaws.com" not in endpoint_url


async def replay(req: Request, *, log: str | None = None, samples: int = 20, dsn: str | None = None,
                 endpoint_url: str | None = None, region: str | None = None, contract: str | None = None,
                 design: str | None = None) -> Outcome[ReplayReport]:
    """Each read pattern's statement with up to `samples` real parameter sets on MySQL, and the
    request the design maps it to on DynamoDB, compared through the contract."""
    if not 1 <= samples <= MAX_SAMPLES:
        raise InputError(f"samples {samples} is out of range", where="replay: samples",
                         remedy=f"give a number of parameter sets per pattern from 1 to {MAX_SAMPLES}")
    target = req.dsn(dsn, where="replay: dsn")
    model = req.contract(contract)
    inputs = modeling_design.inputs(req, design_path=design)
    patterns = list(load_registry(req.workspace).patterns)
    if not patterns:
        raise NotFoundError("no access patterns to replay", where="access_patterns.json",
                            remedy="build them first: `build_access_patterns` (CLI: `mysql2ddb model patterns build`)")
    log_path = req.readable(log, "replay: log") if log else None
    if log_path is not None and not log_path.is_file():
        raise NotFoundError(f"no such file: {log_path}", where="replay: log", remedy="name the query log the "
                            "analysis read (general or slow log, plain or .gz), or leave it out to sample the data")
    aws = local_endpoint.reading_clients(req, req.endpoint(endpoint_url), req.region(region))
    sizes = resolve_item_sizes(inputs.design.tables, schema_facts(inputs.schema), inputs.sizes)
    estimates = {p.id: round(sum(pattern_units(inputs.design, p.id, sizes).reads.values()), 3) for p in patterns}
    catalog = await read_catalog(target)
    sized = _measured_locally(aws.endpoint_url)
    sources = Sources(dsn=target, client=aws.client("dynamodb"), sized=sized, catalog=catalog, log=log_path,
                      samples=samples)
    results = await asyncio.to_thread(run_replay, patterns, inputs.design, model, sources, estimates, req.progress)
    report = ReplayReport(database=target.redacted(), endpoint=aws.endpoint_url or f"AWS {aws.region}",
                          contract_sha256=contract_sha256(model), design=str(design or "design.json"),
                          log=str(log_path) if log_path else None, samples_wanted=samples, patterns=results,
                          notes=sources.notes + _notes(req, design, contract, sized))
    req.workspace.write_json(REPORT_PATH, report)
    return Outcome(report, [REPORT_PATH])


def _notes(req: Request, design: str | None, contract: str | None, sized: bool) -> list[str]:
    notes = []
    if sized:
        notes.append("the endpoint is a local stand-in: read units are computed from the items' sizes (1 unit per "
                     "started 4 KB, eventually consistent reads half), not taken from its ConsumedCapacity")
    states = {"design": gate_state(req.workspace, "design") if design is None else None,
              "contract": gate_state(req.workspace, "contract") if contract is None else None}
    shown = [f"{gate} {state}" for gate, state in states.items() if state is not None and state != "approved"]
    if shown:
        notes.append("approvals: " + ", ".join(shown) + " (replay reads; it needs no approval)")
    return notes
