"""The dashboard's pages as a user meets them: Chromium against ``streamlit run dashboard.py``.

Seeds an MLflow store (SQLite in a temporary folder) with real runs trained by
``experiments.train``: half on 2-D datasets (moons, circles, xor) with their models
logged, half on student admissions; learning rates and seeds vary, so the Compare page
has replicate groups and decision boundaries to draw. Then serves the app and drives
Debian's Chromium with Playwright (issue 13, item 2):

- Home, Compare and Run: first paint and settled time, on a warm server (each page
  visited once before; every measurement in a new browser context, opened by a direct
  link) and on a fresh server (started for that measurement; the page opened first, by
  a direct link);
- Compare: a change of selection (one run removed from "Compared runs"), a switch of
  the curves' metric, and opening each section below the fold (built when opened),
  each until settled; and the page with every section open from its link;
- Train: a moons run watched live for a few seconds, then stopped; the page's own figure
  of how much of the training time the live view took;
- a returning visitor: each page opened again in the same browser context (the browser's
  cache holds Streamlit's JavaScript, ~5 MB on Compare), warm server;
- the floor every page pays: a one-line Streamlit page (a title) and the same with one
  20-row ``st.dataframe``, served alike (``--no-floor`` skips them).

Definitions. Times are from the navigation (page loads) or the click (interactions: its
``pointerdown`` in the page, the option's for a pick in a dropdown).
*First paint*: the page's title heading is in the DOM. *Settled*: no running-status
widget, no element marked stale, every visible Vega chart drawn (``svg.marks`` or
``canvas.marks``), then nothing changed in the DOM for ``--quiet`` seconds; the time is
that of the last change (a MutationObserver injected before the page loads). Medians
and ranges over ``--repeats`` measurements; the 1-minute load average is printed beside
every figure (the machine may be shared).

    python benchmarks/bench_pages.py                    # 200 runs, 3 repetitions
    python benchmarks/bench_pages.py --runs 5 --repeats 1 --json out.json   # the smoke test

Browser rules of ../shared/TESTING.md: Chromium at /usr/bin/chromium (never a downloaded
browser); requests that leave 127.0.0.1 are refused by the browser's host resolver and
reported (a routing handler would slow every request of the page being timed).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from multiprocessing import get_context
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from _report import loadavg, machine, median_range  # noqa: E402

PLANES = ("moons", "circles", "xor")
LEARNING_RATES = (0.01, 0.03, 0.1)
#: The pages timed (``--pages``).
PAGES = ("Home", "Compare", "Run")
#: The Compare page's sections below the fold (closed until opened), and the query that
#: opens them all.
SECTIONS = ("Seed replicates", "Settings against results", "Decisions")
ALL_OPEN = "&replicates=1&settings=1&decisions=1"
#: Runs picked on the Compare page: up to 6 on 2-D data (boundaries drawn), then admissions.
COMPARED_PLANES, COMPARED_ADMISSIONS = 6, 4
TRAIN_URL = ("/Train?dataset.name=moons&model.hidden=%5B16%5D&model.activation=tanh"
             "&training.optimizer=adam&training.learning_rate=0.02&training.epochs=200000")

#: Injected into every page before it loads: the time of the last DOM change, of the
#: first title heading in the main area, and of the first sign that the script runs (the
#: app's root says so once Streamlit's JavaScript has loaded and asked the server for a run).
OBSERVER_JS = """
(() => {
  const b = window.__bench = {last: performance.now(), heading: null, running: null,
                              changes: 0, input: null};
  // The user's click: an interaction's wait starts here (not when Playwright starts
  // its checks before clicking).
  window.addEventListener('pointerdown', () => { b.input = performance.now(); }, true);
  const seen = () => {
    const now = performance.now();
    b.last = now; b.changes += 1;
    if (b.heading === null && document.querySelector('[data-testid="stMain"] h1')) {
      b.heading = now;
    }
    if (b.running === null && document.querySelector(
        '[data-testid="stApp"][data-test-script-state="running"]')) {
      b.running = now;
    }
  };
  new MutationObserver(seen).observe(document, {subtree: true, childList: true,
                                                attributes: true, characterData: true});
})();
"""

#: True once the page is settled (see the module's docstring); ``quiet`` in ms.
SETTLED_JS = """
(quiet) => {
  const b = window.__bench;
  if (!b || !document.querySelector('[data-testid="stMain"] h1')) return false;
  if (document.querySelector('[data-testid="stStatusWidget"]')) return false;
  if (document.querySelector('[data-test-script-state="running"]')) return false;
  if (document.querySelector('[data-stale="true"]')) return false;
  if (document.querySelector('[data-testid="stSkeleton"]')) return false;
  for (const chart of document.querySelectorAll('[data-testid="stVegaLiteChart"]')) {
    if (chart.offsetParent === null) continue;          // in a hidden tab
    if (!chart.querySelector('svg.marks, canvas.marks')) return false;
  }
  return performance.now() - b.last >= quiet;
}
"""


# --------------------------------------------------------------------------- seeding


def run_specs(n: int, epochs: int) -> list[tuple[str, dict[str, Any]]]:
    """``n`` run specs as (kind, dict): even ones on 2-D data, odd ones on admissions."""
    out = []
    for i in range(n):
        j = i // 2
        lr = LEARNING_RATES[(j // len(PLANES)) % len(LEARNING_RATES)]
        seed = j // (len(PLANES) * len(LEARNING_RATES))
        training = {"optimizer": "adam", "learning_rate": lr, "epochs": epochs,
                    "batch_size": 32, "seed": seed}
        if i % 2 == 0:
            out.append(("plane", {"dataset": {"name": PLANES[j % len(PLANES)]},
                                  "model": {"hidden": [8], "activation": "tanh"},
                                  "training": training}))
        else:
            out.append(("admissions", {"dataset": {"name": "student_admissions",
                                                   "scaling": "course"},
                                       "model": {"hidden": [8], "activation": "sigmoid"},
                                       "training": training}))
    return out


def _train_many(uri: str, folder: str, specs: list[tuple[str, dict[str, Any]]]
                ) -> list[tuple[str, str]]:
    """Train ``specs`` in ``folder`` (artifacts land under it); (kind, run id) each."""
    os.chdir(folder)
    os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
    os.environ.setdefault("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR", "false")
    from experiments import RunSpec, train

    out = []
    for kind, spec in specs:
        result = train(RunSpec.from_dict(spec), tracking_uri=uri, source="dashboard",
                       log_model=True)
        out.append((kind, result.run_id))
    return out


def seed_store(work: Path, n: int, epochs: int, workers: int) -> tuple[str, list[tuple[str, str]]]:
    """A SQLite store in ``work`` with ``n`` runs; the first run creates it alone.

    MLflow's migrations race on a fresh SQLite store, so one run is trained in this
    process first; the rest in ``workers`` processes (spawned: no forked connections).
    """
    uri = f"sqlite:///{work / 'mlflow.db'}"
    specs = run_specs(n, epochs)
    old = os.getcwd()
    try:
        done = _train_many(uri, str(work), specs[:1])
    finally:
        os.chdir(old)
    rest = specs[1:]
    if rest and workers > 1:
        chunks = [rest[i::workers] for i in range(workers)]
        with ProcessPoolExecutor(workers, mp_context=get_context("spawn")) as pool:
            for part in pool.map(_train_many, [uri] * workers, [str(work)] * workers, chunks):
                done += part
    elif rest:
        try:
            done += _train_many(uri, str(work), rest)
        finally:
            os.chdir(old)
    return uri, done


def stored_runs(uri: str) -> list[tuple[str, str]]:
    """The finished runs of an existing store as (kind, run id), oldest first."""
    from mlflow import MlflowClient

    client = MlflowClient(tracking_uri=uri)
    ids = [e.experiment_id for e in client.search_experiments()]
    runs = client.search_runs(ids, "attributes.status = 'FINISHED'", max_results=5000,
                              order_by=["attributes.start_time ASC"]) if ids else []
    kinds = {name: "plane" for name in PLANES} | {"student_admissions": "admissions"}
    return [(kinds[r.data.tags["dataset"]], r.info.run_id) for r in runs
            if r.data.tags.get("dataset") in kinds]


# --------------------------------------------------------------------------- browser


class Browser:
    """One Chromium for the whole benchmark; a new context for every measurement."""

    def __init__(self) -> None:
        from playwright.sync_api import sync_playwright

        from tests.browser.support import CHROMIUM, FLAGS

        self.outside: list[str] = []
        self._pw = sync_playwright().start()
        # Every host but 127.0.0.1 resolves to nothing: no request leaves the machine,
        # without a routing handler in the path of every request of the timed pages.
        rules = "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1"
        self._browser = self._pw.chromium.launch(executable_path=CHROMIUM, args=[*FLAGS, rules])

    @contextmanager
    def page(self) -> Iterator[Any]:
        context = self._browser.new_context(viewport={"width": 1400, "height": 1400})
        context.add_init_script(OBSERVER_JS)
        context.set_default_timeout(120_000)

        def note(request: Any) -> None:
            url = request.url
            host = url.split("/")[2].split(":")[0] if "://" in url else ""
            if not url.startswith(("data:", "blob:")) and host != "127.0.0.1":
                self.outside.append(url)

        context.on("request", note)
        try:
            yield context.new_page()
        finally:
            context.close()

    def close(self) -> None:
        self._browser.close()
        self._pw.stop()


def wait_settled(page: Any, quiet_s: float, since: float | None = None,
                 timeout_s: float = 180) -> float:
    """Wait until the page is settled; the time of its last DOM change (ms since origin).

    ``since``: an interaction's start; the page must change after it first.
    """
    if since is not None:
        page.wait_for_function("(t) => window.__bench && window.__bench.last > t", arg=since,
                               timeout=timeout_s * 1000)
    page.wait_for_function(SETTLED_JS, arg=quiet_s * 1000, timeout=timeout_s * 1000,
                           polling=100)
    assert page.locator('[data-testid="stException"]').count() == 0, "the page raised"
    return float(page.evaluate("window.__bench.last"))


def reload_page(browser: Browser, url: str, quiet_s: float) -> tuple[float, float]:
    """Open ``url`` twice in one context: (first paint, settled) of the second visit."""
    with browser.page() as page:
        page.goto(url, wait_until="commit")
        wait_settled(page, quiet_s)
        page.goto(url, wait_until="commit")
        settled = wait_settled(page, quiet_s)
        heading = page.evaluate("window.__bench.heading")
        return float(heading) / 1e3, settled / 1e3


#: Pages that show what every page of the app pays at least (``--no-floor`` skips them).
FLOOR_PAGES = {
    "a one-line page (st.title)": 'import streamlit as st\nst.title("nncore")\n',
    "a title and a 20-row st.dataframe": (
        "import pandas as pd\nimport streamlit as st\nst.title(\"nncore\")\n"
        "st.dataframe(pd.DataFrame({\"a\": range(20), \"b\": [str(i) for i in range(20)]}))\n"),
}


@contextmanager
def serve_script(source: str, folder: Path) -> Iterator[str]:
    """A Streamlit script (``source``) served alone from ``folder`` with the project's
    Streamlit settings, as the dashboard is served; yields its address."""
    from tests.browser.support import serve_dashboard

    folder.mkdir(parents=True, exist_ok=True)
    (folder / "app.py").write_text(source)
    with serve_dashboard(folder, folder / "server.log", {}, script=folder / "app.py") as url:
        yield url


def load_page(browser: Browser, url: str, quiet_s: float,
              marks: dict[str, float] | None = None) -> tuple[float, float]:
    """Open ``url`` in a new context: (first paint, settled) in seconds from navigation.

    ``marks``, if given, gets ``running``: when the script was first seen running (the
    browser's share before it: loading Streamlit's JavaScript and connecting).
    """
    with browser.page() as page:
        page.goto(url, wait_until="commit")
        settled = wait_settled(page, quiet_s)
        heading = page.evaluate("window.__bench.heading")
        if marks is not None:
            running = page.evaluate("window.__bench.running")
            marks["running"] = float("nan") if running is None else float(running) / 1e3
        return float(heading) / 1e3, settled / 1e3


def interact(page: Any, action: Callable[[], None], quiet_s: float) -> float:
    """Seconds from the click of ``action`` until the page settled again.

    Timed from the click's ``pointerdown`` in the page (the last one: for a pick in a
    dropdown, the option's): what a user waits for. Playwright's own checks before it
    clicks (50-100 ms on these cores) and opening a dropdown are not counted.
    """
    start = float(page.evaluate("performance.now()"))
    action()
    clicked = page.evaluate("window.__bench.input")
    origin = float(clicked) if clicked is not None and clicked > start else start
    return (wait_settled(page, quiet_s, since=start) - origin) / 1e3


def remove_one_compared(page: Any) -> None:
    """Remove the last run of the "Compared runs" multiselect (its tag's Remove button)."""
    box = page.locator('[data-testid="stMultiSelect"]').filter(has_text="Compared runs")
    box.get_by_role("button", name=re.compile("^Remove ")).last.click()


def pick_metric(page: Any, name: str) -> None:
    """Choose ``name`` in the curves' "Metric" selectbox."""
    page.get_by_role("combobox", name="Metric", exact=True).click()
    page.get_by_role("option", name=name, exact=True).click()


def open_section(page: Any, title: str) -> None:
    """Open one of the Compare page's sections below the fold (an expander)."""
    section = page.locator('[data-testid="stExpander"]').filter(has_text=title)
    section.locator("summary").click()


def train_share(browser: Browser, base: str, seconds: float) -> dict[str, Any]:
    """Train on moons for ``seconds`` with the live view, stop; the page's share figure."""
    with browser.page() as page:
        page.goto(base + TRAIN_URL)
        page.get_by_role("heading", name="Train a network").wait_for()
        page.get_by_role("button", name="Train", exact=True).click()
        page.get_by_text("Live view:").first.wait_for()
        time.sleep(seconds)
        live = page.get_by_text("Live view:").first.inner_text()
        page.locator('[data-testid="stMain"]').get_by_role("button", name="Stop",
                                                         exact=True).click()
        page.get_by_text("Stopped").first.wait_for(timeout=120_000)
        final = page.get_by_text("Watching it live took").inner_text()
        share = float(final.split("took ")[1].split("%")[0])
        redraws = int(final.split("(")[1].split(" redraws")[0])
        return {"share_pct": share, "redraws": redraws, "live_caption": live,
                "final_caption": final}


# --------------------------------------------------------------------------- main


def load1() -> float:
    return os.getloadavg()[0]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=200, help="runs to seed (default 200)")
    parser.add_argument("--epochs", type=int, default=100, help="epochs of each seeded run")
    parser.add_argument("--workers", type=int, default=2, help="seeding processes")
    parser.add_argument("--repeats", type=int, default=3, help="measurements of each figure")
    parser.add_argument("--quiet", type=float, default=1.5,
                        help="seconds without DOM change that count as settled")
    parser.add_argument("--train-seconds", type=float, default=8.0,
                        help="how long the Train measurement trains before Stop")
    parser.add_argument("--store", type=Path, help="folder to keep the store in (default: temp)")
    parser.add_argument("--json", type=Path, help="also write every figure to this file")
    parser.add_argument("--pages", default="Home,Compare,Run",
                        help="pages to time, comma-separated (default Home,Compare,Run; "
                             "the interactions need Compare)")
    parser.add_argument("--no-fresh", action="store_true",
                        help="skip the fresh-server measurements (while iterating)")
    parser.add_argument("--fresh-only", action="store_true",
                        help="only the fresh-server measurements (no warm server, "
                             "interactions, floor or Train)")
    parser.add_argument("--no-train", action="store_true",
                        help="skip the Train page's live-view measurement")
    parser.add_argument("--no-floor", action="store_true",
                        help="skip the one-line pages that show what every page pays")
    args = parser.parse_args(argv)

    wanted = [p.strip() for p in args.pages.split(",") if p.strip()]
    unknown = [p for p in wanted if p not in PAGES]
    if unknown or not wanted:
        parser.error(f"--pages: pick from {', '.join(PAGES)} (got {args.pages!r})")

    from tests.browser.support import serve_dashboard

    figures: dict[str, Any] = {"start_load": os.getloadavg()}
    print(f"bench_pages {time.strftime('%Y-%m-%d %H:%M:%S %Z')} on {machine()}")
    print(f"start: {loadavg()}")
    tmp = tempfile.TemporaryDirectory(prefix="bench-pages-")
    work = (args.store or Path(tmp.name) / "work").resolve()
    work.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    if (work / "mlflow.db").exists():         # --store of an earlier run: reuse its runs
        uri = f"sqlite:///{work / 'mlflow.db'}"
        seeded = stored_runs(uri)
        how = "reused from the store"
    else:
        uri, seeded = seed_store(work, args.runs, args.epochs, args.workers)
        how = f"seeded ({args.epochs} epochs each) with {args.workers} process(es) in"
    planes = [r for k, r in seeded if k == "plane"]
    admissions = [r for k, r in seeded if k == "admissions"]
    figures["seed_s"] = time.perf_counter() - started
    print(f"{len(seeded)} runs ({len(planes)} on 2-D data with models, {len(admissions)} "
          f"admissions) {how} {figures['seed_s']:.0f} s; {loadavg()}")
    compared = planes[:COMPARED_PLANES] + admissions[:COMPARED_ADMISSIONS]
    paths = {"Home": "/", "Compare": "/Compare?runs=" + ",".join(compared),
             "Run": f"/Run?run={planes[0]}"}
    paths = {name: path for name, path in paths.items() if name in wanted}
    env = {"MLFLOW_TRACKING_URI": uri, "MLFLOW_DISABLE_TELEMETRY": "true"}
    logs = Path(tmp.name)
    samples: dict[str, list[float]] = {}
    loads: dict[str, list[float]] = {}

    def record(name: str, value: float) -> None:
        samples.setdefault(name, []).append(value)
        loads.setdefault(name, []).append(load1())

    trains: list[dict[str, Any]] = []
    browser = Browser()
    try:
        # Fresh server: started for each measurement, the page opened first by a link.
        for rep in range(0 if args.no_fresh else args.repeats):
            for name, path in paths.items():
                marks: dict[str, float] = {}
                with serve_dashboard(work, logs / f"fresh-{name}-{rep}.log", env) as base:
                    paint, settled = load_page(browser, base + path, args.quiet, marks)
                record(f"{name} fresh server: script seen running", marks["running"])
                record(f"{name} fresh server: first paint", paint)
                record(f"{name} fresh server: settled", settled)
        if not args.fresh_only:
            # Warm server: every page visited once, then each measurement in a new context.
            with serve_dashboard(work, logs / "warm.log", env) as base:
                for path in paths.values():
                    load_page(browser, base + path, args.quiet)
                for _ in range(args.repeats):
                    for name, path in paths.items():
                        paint, settled = load_page(browser, base + path, args.quiet)
                        record(f"{name} warm server: first paint", paint)
                        record(f"{name} warm server: settled", settled)
                    for name, path in paths.items():
                        paint, settled = reload_page(browser, base + path, args.quiet)
                        record(f"{name} warm server, browser cache warm: settled", settled)
                # Interactions on the Compare page (warm server).
                for _ in range(args.repeats if "Compare" in paths else 0):
                    with browser.page() as page:
                        page.goto(base + paths["Compare"], wait_until="commit")
                        wait_settled(page, args.quiet)
                        record("Compare selection change (one run removed)",
                               interact(page, lambda page=page: remove_one_compared(page),
                                        args.quiet))
                        record("Compare metric switch (validation loss -> validation accuracy)",
                               interact(page, lambda page=page: pick_metric(
                                   page, "validation accuracy"), args.quiet))
                        record("Compare metric switch back (-> validation loss)",
                               interact(page, lambda page=page: pick_metric(
                                   page, "validation loss"), args.quiet))
                        # The sections below the fold are built when opened: what that costs.
                        for title in SECTIONS:
                            record(f"Compare open a section: {title}",
                                   interact(page, lambda page=page, title=title: open_section(
                                       page, title), args.quiet))
                    # Every section open from the link: the whole page, as before issue 13.
                    paint, settled = load_page(browser, base + paths["Compare"] + ALL_OPEN,
                                               args.quiet)
                    record("Compare warm server, every section open: settled", settled)
                # The floor: what a page with (almost) nothing on it takes, served alike.
                for name, source in ({} if args.no_floor else FLOOR_PAGES).items():
                    folder = logs / f"floor-{len(samples)}"
                    with serve_script(source, folder) as floor:
                        load_page(browser, floor, args.quiet)
                        for _ in range(args.repeats):
                            paint, settled = load_page(browser, floor, args.quiet)
                            record(f"Floor, {name}: first paint", paint)
                            record(f"Floor, {name}: settled", settled)
                for _ in range(0 if args.no_train else max(1, args.repeats - 1)):
                    trains.append(train_share(browser, base, args.train_seconds))
                    loads.setdefault("train", []).append(load1())
    finally:
        browser.close()
    if browser.outside:
        raise SystemExit(f"requests left 127.0.0.1: {browser.outside}")

    print(f"\n{'figure (seconds)':62s} {'median (range, n)':28s} 1-min load average")
    for name, values in samples.items():
        print(f"{name:62s} {median_range(values, 1, '.2f'):28s} "
              f"load {median_range(loads[name], 1, '.2f')}")
    shares = [t["share_pct"] for t in trains]
    if trains:
        print(f"\nTrain page, moons [16] tanh adam watched live {args.train_seconds:.0f} s "
              f"then stopped: live view took {median_range(shares, 1, '.1f')} % of the "
              f"training time (the page's own figure; "
              f"{', '.join(str(t['redraws']) for t in trains)} redraws; "
              f"{median_range(loads['train'], 1, '.2f')} load)")
        print(f"  last live caption: {trains[-1]['live_caption']!r}")
    figures.update({"samples": samples, "loads": loads, "train": trains,
                    "runs": len(seeded), "end_load": os.getloadavg()})
    print(f"end: {loadavg()}")
    if args.json:
        args.json.write_text(json.dumps(figures, indent=1))
    tmp.cleanup()
    return 0


if __name__ == "__main__":
    sys.exit(main())
