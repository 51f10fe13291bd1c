"""The Learn page's step, as its server script spends it: a network of up to 3 hidden
layers of 64 units on moons, one optimizer step per rerun.

Issue 11's budget: any step redraws in <= 300 ms. Measured with Streamlit's AppTest (in
process, no browser: the script's own time for the rerun that a button press causes),
for SGD and Adam, with the finite-difference check off (the default above 1,500
parameters) and on, and for a small network (the check runs automatically). A step
builds the open tab's view only, so each case is measured with each tab open in turn;
its figure is the slowest tab's (medians and ranges over ``--steps`` presses after a
warm-up press), and a line below lists every tab's median. AppTest compiles the page
scripts again on every rerun (a server compiles them once): that is in the figures.

    python benchmarks/bench_learn.py [--steps N]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from _report import loadavg, machine, median_range, verdict  # noqa: E402

from ui import learn_keys as lk  # noqa: E402
from ui import sidebar  # noqa: E402
from ui.learn_views import VIEWS  # noqa: E402

BUDGET_S = 0.300
CASES = [  # (label, hidden layers, optimizer, finite-difference check)
    ("3 x 64 tanh, SGD, check off", "64,64,64", "sgd", False),
    ("3 x 64 tanh, Adam, check off", "64,64,64", "adam", False),
    ("3 x 64 tanh, SGD, check on (8,577 parameters)", "64,64,64", "sgd", True),
    ("[8] tanh, SGD, check automatic", "8", "sgd", None),
]


def _measure(hidden: str, optimizer: str, check: bool | None, steps: int
             ) -> tuple[dict[str, list[float]], dict[str, list[float]]]:
    """Seconds per step press for each tab open in turn: wall-clock time, and the
    process's CPU time (less moved by other processes on the cores)."""
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=300).run()
    at.switch_page(sidebar.LEARN).run()
    at.selectbox(key=lk.DATASET).set_value("moons").run()
    at.text_input(key=lk.HIDDEN).set_value(hidden).run()
    at.selectbox(key=lk.ACTIVATION).set_value("tanh").run()
    at.selectbox(key=lk.OPTIMIZER).set_value(optimizer).run()
    if check:
        at.toggle(key=lk.CHECK).set_value(True).run()
    assert not at.exception, at.exception
    times: dict[str, list[float]] = {}
    cpu: dict[str, list[float]] = {}
    for view in VIEWS:
        at.session_state[lk.VIEW] = view
        times[view], cpu[view] = [], []
        for press in range(steps + 1):
            at.button(key=lk.STEP).click()
            start, start_cpu = time.perf_counter(), time.process_time()
            at.run()
            if press:  # the first press is the warm-up
                times[view].append(time.perf_counter() - start)
                cpu[view].append(time.process_time() - start_cpu)
            assert not at.exception, at.exception
    assert len(at.session_state[lk.LESSON].steps) == len(VIEWS) * (steps + 1)
    return times, cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--steps", type=int, default=10, help="measured presses per case")
    args = parser.parse_args()
    os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
    os.environ["MLFLOW_TRACKING_URI"] = f"sqlite:///{tempfile.mkdtemp()}/mlflow.db"
    print(f"bench_learn {time.strftime('%Y-%m-%d %H:%M:%S %Z')} on {machine()}")
    print(f"start: {loadavg()}")
    print(f"{'one step of the Learn page (AppTest rerun)':52s} {'ms: median (range, n)':30s} "
          f"budget {BUDGET_S * 1e3:.0f} ms")
    for label, hidden, optimizer, check in CASES:
        by_view, cpu = _measure(hidden, optimizer, check, args.steps)
        medians = {view: statistics.median(t) for view, t in by_view.items()}
        slowest = max(medians, key=medians.__getitem__)
        print(f"{label:52s} {median_range(by_view[slowest], 1e3, '.0f'):30s} "
              f"{verdict(medians[slowest], BUDGET_S)}")
        print("    tab open, median ms (CPU ms): " + " · ".join(
            f"{view} {ms * 1e3:.0f} ({statistics.median(cpu[view]) * 1e3:.0f})"
            for view, ms in medians.items()))
    print(f"end: {loadavg()}")


if __name__ == "__main__":
    main()
