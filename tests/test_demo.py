"""The demo is honest: one design from recommendation to migration, every gate answered by the demo
and saying so (in the output, approvals.json and list_approvals), no empty section, each warning
once. Run with the migration as a dry run (the plan of the very contract approved); `make demo`
runs it for real."""

from __future__ import annotations

import json

from mysql2ddb.tools.core.access import Caller
from mysql2ddb.tools.core.approvals import load_approvals
from mysql2ddb.tools.core.render import to_markdown
from mysql2ddb.tools.core.settings import Settings
from mysql2ddb.tools.usecases import demo, gates
from mysql2ddb.tools.usecases.request import Request
from tests.conftest import dsn_for

DATABASE = "m2d_demo_dry"  # the demo replaces Sakila in the database it is given: its own here


async def test_demo_validates_approves_and_migrates_one_design(tmp_path):
    req = Request.of(Settings(workdir=tmp_path / "work"), Caller.CLI)
    sections: list[tuple[str, str]] = []
    planned: list[object] = []
    report = await demo.run_demo(req, dsn_for(DATABASE).url(), endpoint_url="embedded", region="us-east-1",
                                 show=lambda title, shown: sections.append((title, to_markdown(shown))),
                                 on_plan=planned.append, dry_run=True)
    sections.append(("Where the migration stands", to_markdown(demo.standing(req))))

    for title, text in sections:
        assert text.strip(), f"empty section: {title}"

    # one design: the contract migrated is the one generated from the design that was validated
    ws = req.workspace
    design_tables = [t["name"] for t in ws.read_json("design.json")["tables"]]
    contract = ws.read_json("contract.json")
    assert [t["table"] for t in contract["tables"]] == design_tables
    assert report.dry_run and report.contract_sha256
    assert sorted(t.table for t in planned[0].table_plans) == sorted(design_tables)
    assert any(title.startswith("Stage 3: the migration report of contract " + report.contract_sha256[:12])
               for title, _ in sections)

    # every gate answered by the demo, and saying so everywhere
    records = load_approvals(ws).records
    assert records and all(r.via == "demo" and "approved by the demo" in (r.feedback or "") for r in records)
    overview = gates.list_approvals(req)
    assert set(overview.states.values()) == {"approved"}
    assert json.loads(ws.path("approvals.json").read_text())["records"][0]["via"] == "demo"
    output = "\n".join(text for _, text in sections)
    assert "Approved by the demo, not by a user" in output
    final = sections[-1][1]
    assert final.count("| the demo (via=demo) |") == len(overview.states)

    # each warning printed once
    for warning in ws.read_json("design_validation.json")["warnings"]:
        assert output.count(warning["reason"]) == 1, warning
    contract_warnings = [line for line in output.splitlines() if line.startswith("| /tables/")]
    assert len(contract_warnings) == len(set(contract_warnings)), contract_warnings
