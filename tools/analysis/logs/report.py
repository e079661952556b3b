"""The query-log artifacts: `analysis/query_log.json` (the model) and the readable report
`01_2_mysql_log_analysis.md` (patterns with rates, transactions with their statements, noise,
what could not be parsed or read)."""

from __future__ import annotations

from typing import Any

from mysql2ddb.tools.core.render import markdown_table
from mysql2ddb.tools.analysis.logs.model import LogAnalysis, LogPattern

JSON_ARTIFACT = "analysis/query_log.json"
MD_ARTIFACT = "01_2_mysql_log_analysis.md"


def _fmt(value: float | None, unit: str = "") -> str:
    return "-" if value is None else f"{value:,.4g}{unit}"


def _pattern_section(p: LogPattern) -> list[str]:
    title = f"### {p.id}: {p.kind}{' transaction' if p.transaction else ''} on {', '.join(p.tables) or '?'}"
    lines = [title, "",
             f"- executions: **{p.count:,}**" + (f" (+{p.rolled_back:,} rolled back)" if p.rolled_back else ""),
             f"- rate: {_fmt(p.rps_avg)} rps average, {_fmt(p.rps_peak)} rps peak (busiest second)"]
    lat = p.latency
    if lat is not None and lat.query_time_avg_ms is not None:
        lines.append(f"- query time: avg {_fmt(lat.query_time_avg_ms, ' ms')}, p95 {_fmt(lat.query_time_p95_ms, ' ms')}"
                     f", max {_fmt(lat.query_time_max_ms, ' ms')} ({lat.samples:,} samples)")
    if lat is not None and lat.rows_examined_avg is not None:
        lines.append(f"- rows examined: avg {_fmt(lat.rows_examined_avg)}, max {_fmt(lat.rows_examined_max)}")
    if p.transaction:
        lines += ["", "| # | statement | executions | per transaction min/avg/max |", "|---|---|---|---|"]
        for i, s in enumerate(p.statements, 1):
            r = s.repeats
            per = f"{r.min}/{r.avg:g}/{r.max}" if r else "-"
            lines.append(f"| {i} | `{s.fingerprint.replace('|', '¦')}` | {s.count:,} | {per} |")
    else:
        lines += ["", "```sql", p.fingerprint, "```"]
    if p.example:
        lines += ["", "Example:", "", "```sql", p.example, "```"]
    return lines + [""]


def render_markdown(analysis: LogAnalysis) -> str:
    w = analysis.window
    out = ["# MySQL query-log analysis", "", analysis.summary(), ""]
    out += ["## Inputs", "", "| file | format | lines | statements |", "|---|---|---|---|"]
    out += [f"| {s.file} | {s.format} | {s.lines:,} | {s.statements:,} |" for s in analysis.sources]
    out += ["", "## Window", ""]
    if w.seconds:
        out.append(f"{w.start} to {w.end}: {w.seconds:g} s ({w.timezone}); busiest second over all patterns: "
                   f"{_fmt(w.rps_peak)} rps. Rates are measured over this window.")
    else:
        out.append("The input has no timestamps: request rates are unknown and must be given for each pattern.")
    out += ["", "## Access patterns", ""]
    tables = analysis.tables()
    out += [markdown_table(tables[0]), ""]
    for p in analysis.patterns:
        out += _pattern_section(p)
    out += ["## Noise (not access patterns)", "",
            "Connection and administrative statements, and transaction control (BEGIN/COMMIT/ROLLBACK; the "
            "transactions they delimit are the patterns above).", "", "| statement | count |", "|---|---|"]
    out += [f"| {k} | {v:,} |" for k, v in sorted(analysis.noise.items(), key=lambda kv: -kv[1])]
    out += ["", "## Not parsed", "",
            f"{analysis.unparsed.count:,} statement execution(s) did not parse as SQL; they are counted under a "
            "token fingerprint (never dropped)."]
    for example in analysis.unparsed.examples:
        out += ["", "```sql", example, "```"]
    if analysis.problems:
        out += ["", "## Problems (result is partial)", "", "| file | line | reason |", "|---|---|---|"]
        out += [f"| {p.file} | {p.line or ''} | {p.reason.replace('|', '¦')} |" for p in analysis.problems]
        if analysis.problems_total > len(analysis.problems):
            out.append(f"\n... and {analysis.problems_total - len(analysis.problems):,} more.")
    if analysis.notes:
        out += ["", "## Notes", ""] + [f"- {n}" for n in analysis.notes]
    return "\n".join(out) + "\n"


def write_log_artifacts(analysis: LogAnalysis, workspace: Any) -> list[str]:
    workspace.write_json(JSON_ARTIFACT, analysis)
    workspace.write_text(MD_ARTIFACT, render_markdown(analysis))
    return [JSON_ARTIFACT, MD_ARTIFACT]
