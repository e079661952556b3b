"""`mysql2ddb demo`: Sakila end to end on one design, through the same use cases a user drives.

Sakila is loaded into the demo database; its schema and the shared workload capture are analysed;
the access patterns are built and a design is recommended, validated, priced and documented; the
contract is generated from THAT design and validated against the live database; and that contract
is migrated (views, tables on the endpoint, copy, verification) through the execution use case.

Nobody is asked: the demo answers every approval gate itself. Each answer is recorded like any
other (bound to the reviewed hash) but with via="demo" and a note saying the demo gave it, and the
output says "approved by the demo" wherever a gate is shown. The migration's write consent is
given explicitly for this run (the demo's database and, by default, the embedded endpoint).
"""

from __future__ import annotations

from typing import Any, Callable

from mysql2ddb.tools.core.aws import EMBEDDED
from mysql2ddb.tools.core.render import Table
from mysql2ddb.tools.modeling.gate_views import table_order
from mysql2ddb.tools.usecases import analysis, corpora, execution, gates, modeling, modeling_design
from mysql2ddb.tools.usecases.request import Request

VIA = "demo"
NOTE = "approved by the demo (`mysql2ddb demo`, a non-interactive demonstration), not by a user"
Show = Callable[[str, Any], None]


class Shown:
    """A section of the demo's output: text, then tables (what print_rich and to_markdown render)."""

    def __init__(self, text: str, tables: list[Table] | None = None):
        self.text, self._tables = text, tables or []

    def summary(self) -> str:
        return self.text

    def tables(self) -> list[Table]:
        return self._tables


def capture_log() -> Any:
    return corpora.shared_dir() / "corpora" / "sakila" / "workload-capture" / "general.log.gz"


def approve(req: Request, gate: str) -> gates.GateOutcome:
    """The demo's own answer to `gate`: the review it would show, approved, bound to that review's hash."""
    shown = gates.review(req, gate)
    return gates.record(req, gate, "approved", shown.review_sha256, feedback=NOTE, via=VIA)


def approvals_table(outcomes: list[gates.GateOutcome], title: str = "Gates approved by the demo") -> Table:
    return Table(title, ["gate", "state now", "answered by", "review sha256"],
                 [[o.gate, o.state, "the demo (via=demo)", (o.review_sha256 or "")[:12]] for o in outcomes])


def approvals_text(outcomes: list[gates.GateOutcome]) -> str:
    names = ", ".join(f"`{o.gate}`" for o in outcomes)
    return (f"Approved by the demo, not by a user: {names}. Each answer is in approvals.json with via=demo; "
            "a user reviews each gate (review_gate over MCP, `mysql2ddb gates approve` in the CLI).")


async def run_demo(req: Request, dsn: str, *, endpoint_url: str | None, region: str, show: Show,
                   on_plan: Callable[[Any], None] | None = None, say: Callable[[str], None] | None = None,
                   dry_run: bool = False) -> Any:
    """Every stage in order, each shown as it finishes; the migration report of the one contract.
    `dry_run`: the migration only plans (views' SQL, CreateTable requests, items): nothing is
    written to the endpoint nor views created (Sakila is still loaded and the workspace written)."""
    target = req.dsn(dsn, where="--dsn")
    corpora.ensure_sakila(target, force=True)
    show(f"Loading Sakila into {target.redacted()}",
         Shown(f"Sakila loaded into `{target.database}` (any earlier copy replaced)."))

    schema = await analysis.analyze_schema(req, dsn)
    show("Stage 1: schema analysis", schema.result.report())
    logs = await analysis.analyze_query_log(req, [str(capture_log())])
    show("Stage 1: query-log analysis (shared workload capture)", logs.result)

    patterns = modeling.build_patterns(req).result
    requirements = approve(req, "requirements")
    show("Stage 2: access patterns", Shown(f"{patterns.summary()}\n\n{approvals_text([requirements])}",
                                           [approvals_table([requirements])]))

    modeling.write_context(req)
    recommendation = modeling.recommend(req).result
    await modeling_design.render_data_model(req)
    cost = (await modeling_design.estimate_cost(req)).result
    show("Stage 2: the recommended design, its validation and cost", design_section(recommendation, cost))

    design_gates = [approve(req, f"table:{t}") for t in table_order(req.workspace)]
    design_gates.append(approve(req, "design"))
    show("Stage 2: the design's gates", Shown(approvals_text(design_gates), [approvals_table(design_gates)]))

    contract = (await modeling.generate_contract(req, dsn)).result
    contract_gate = approve(req, "contract")
    sha = (contract_gate.review_sha256 or "")[:12]
    show("Stage 2: the contract of this design, checked against the database", contract_section(contract, contract_gate))

    writes = (f"views `ddb_*` in `{target.database}`, then the contract's {contract.tables_count} tables and their "
              f"items on {_where(endpoint_url, region)}")
    show(f"Stage 3: migrating contract {sha}",
         Shown(f"Dry run: the plan of what would be written ({writes}); nothing is written." if dry_run else
               f"The demo consents to this run's writes (as `--yes` would): {writes}. The plan first, then views, "
               "tables, copy and verification."))
    outcome = await execution.migrate(req, None, dsn, endpoint_url=endpoint_url, region=region, confirm=not dry_run,
                                      dry_run=dry_run, on_plan=on_plan, say=say)
    show(f"Stage 3: the migration report of contract {sha}", outcome.result)
    return outcome.result


def _where(endpoint_url: str | None, region: str) -> str:
    if endpoint_url == EMBEDDED:
        return "the embedded endpoint (a moto server on this machine)"
    return endpoint_url or f"AWS {region}"


def design_section(recommendation: Any, cost: Any) -> Shown:
    """The design once: what was recommended, its validation's verdict and cost; every finding
    (coverage, principles, item sizes, production warnings, errors) in its table, once."""
    v = recommendation.validation
    served = sum(p.covered for p in v.patterns)
    lines = [f"Recommended design `{recommendation.path}`: {recommendation.tables_count} tables, "
             f"{recommendation.gsis} GSIs; {'valid' if v.valid else 'NOT valid'}, {served}/{len(v.patterns)} "
             "access patterns served. The data model is in dynamodb_data_model.md.",
             cost.summary()]
    lines += [f"- {note}" for note in recommendation.notes]
    return Shown("\n\n".join(lines), v.tables())


def contract_section(contract: Any, gate: gates.GateOutcome) -> Shown:
    v = contract.validation
    text = (f"Wrote `{contract.path}` from the approved design: {contract.tables_count} tables, sha256 "
            f"{(gate.review_sha256 or '')[:12]}. {v.summary()}\n\n{approvals_text([gate])}")
    return Shown(text, [*v.tables(), approvals_table([gate])])


def standing(req: Request) -> Shown:
    """Where the migration stands, with who answered each gate (the demo, here)."""
    from mysql2ddb.tools.usecases.workflow import workflow_status

    status = workflow_status(req.workspace, req.caller)
    overview = gates.list_approvals(req)
    latest = {r.gate: r for r in overview.records}
    rows = [[g, state, _answered_by(latest.get(g)), ((latest[g].artifact_sha256 or "")[:12] if g in latest else "")]
            for g, state in overview.states.items()]
    runs = [t for t in status.tables() if t.title == "Runs"]
    return Shown(status.summary(), [Table("Gates", ["gate", "state", "answered by", "review sha256"], rows), *runs])


def _answered_by(record: Any) -> str:
    if record is None:
        return ""
    return "the demo (via=demo)" if record.via == VIA else f"{record.via}"
