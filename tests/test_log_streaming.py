"""Streaming: memory stays bounded whatever the log size. Only per-pattern aggregates and
per-second counters are kept, never the statements: four times the log, about the same peak."""

from __future__ import annotations

import tracemalloc

from mysql2ddb.tools.analysis.logs.analyze import analyze_logs
from tests.log_support import synthetic_general_log


def _peak(path) -> tuple[int, object]:
    tracemalloc.start()
    try:
        analysis = analyze_logs([path])
        return tracemalloc.get_traced_memory()[1], analysis
    finally:
        tracemalloc.stop()


def test_peak_memory_does_not_grow_with_the_log(tmp_path):
    small, large = tmp_path / "small.log", tmp_path / "large.log"
    expected_small = synthetic_general_log(small, 3_000)
    expected_large = synthetic_general_log(large, 12_000)
    peak_small, a_small = _peak(small)
    peak_large, a_large = _peak(large)
    for analysis, expected in ((a_small, expected_small), (a_large, expected_large)):
        read = next(p for p in analysis.patterns if not p.transaction)
        order = next(p for p in analysis.patterns if p.transaction)
        assert len(analysis.patterns) == 2
        assert read.count == expected["read"] and order.count == expected["order"]
        assert (order.statements[1].repeats.min, order.statements[1].repeats.max) == (1, 3)
    assert large.stat().st_size > 3.5 * small.stat().st_size
    assert peak_large < 1.5 * peak_small + 512 * 1024, (peak_small, peak_large)
