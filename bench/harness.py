"""Measuring: interleaved rounds of each contender, medians and minimums, ratios against a baseline
measured in the same run, and a table with the target and PASS/MISS."""

import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from django.db import connection
from django.test.utils import CaptureQueriesContext


@dataclass
class Timing:
    samples_ns: list[int] = field(default_factory=list)

    @property
    def median_ms(self) -> float:
        return statistics.median(self.samples_ns) / 1e6

    @property
    def min_ms(self) -> float:
        return min(self.samples_ns) / 1e6


def interleaved(contenders: dict[str, Callable[[], object]], *, rounds: int, warmup: int = 3,
                setup: Callable[[], None] | None = None, clock=time.perf_counter_ns) -> dict[str, Timing]:
    """Run each contender once per round, alternating, so drift (other load, CPU frequency) hits all alike.

    ``setup`` runs untimed before every measured call (e.g. emptying a cache for an uncached figure).
    """
    timings = {name: Timing() for name in contenders}
    for round_number in range(warmup + rounds):
        for name, call in contenders.items():
            if setup is not None:
                setup()
            started = clock()
            call()
            elapsed = clock() - started
            if round_number >= warmup:
                timings[name].samples_ns.append(elapsed)
    return timings


class AppCPUClock:
    """The process CPU time spent inside a test client's request handler (the WSGI application it calls), summed
    over its calls: read before and after a call to see how much of the process's CPU the app itself took. The
    buy flow's row measures process CPU per flow (the client's own work included: building the request, encoding
    and decoding JSON, its signal hooks); its note shows this share of it, read around each flow."""

    def __init__(self, client) -> None:
        self.spent_ns = 0
        self._handler = client.handler
        client.handler = self._timed

    def _timed(self, *args, **kwargs):
        started = time.process_time_ns()
        try:
            return self._handler(*args, **kwargs)
        finally:
            self.spent_ns += time.process_time_ns() - started

    def __call__(self) -> int:
        return self.spent_ns


def count_queries(call: Callable[[], object]) -> int:
    with CaptureQueriesContext(connection) as captured:
        call()
    return len(captured.captured_queries)


@dataclass(frozen=True)
class Row:
    case: str
    measured: str
    baseline: str
    ratio: float | None
    target: str
    passed: bool | None
    notes: str = ""


def ratio_row(case: str, timings: dict[str, Timing], *, subject: str, baseline: str, target: str,
              passes: Callable[[float], bool], notes: str = "") -> Row:
    ratio = timings[subject].median_ms / timings[baseline].median_ms
    return Row(
        case=case,
        measured=f"{timings[subject].median_ms:.2f} ms (min {timings[subject].min_ms:.2f})",
        baseline=f"{baseline}: {timings[baseline].median_ms:.2f} ms (min {timings[baseline].min_ms:.2f})",
        ratio=ratio, target=target, passed=passes(ratio), notes=notes,
    )


def print_table(rows: list[Row], *, title: str) -> None:
    headers = ["case", "kolshop", "baseline (same run)", "ratio", "target", "result", "notes"]
    cells = [[row.case, row.measured, row.baseline, "" if row.ratio is None else f"{row.ratio:.2f}×", row.target,
              {True: "PASS", False: "MISS", None: "—"}[row.passed], row.notes] for row in rows]
    widths = [max(len(str(line[i])) for line in [headers, *cells]) for i in range(len(headers))]
    print(f"\n{title}\n")
    print("| " + " | ".join(h.ljust(w) for h, w in zip(headers, widths)) + " |")
    print("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    for line in cells:
        print("| " + " | ".join(str(c).ljust(w) for c, w in zip(line, widths)) + " |")
