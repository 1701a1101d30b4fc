"""`make bench`: infergen at fleet scale against the YAML floor.

For each fleet size it writes a synthetic fleet (bench.fleet) to a temporary folder, checks
it renders without a single diagnostic, then times each scenario in a fresh process
(`python -m generator ...`), with its peak RSS from wait4:

    cold      render into a fresh output folder (and a fresh cache)
    noop      render again, nothing changed
    check     render --check
    one       render after one spec changed
    validate  validate only
    git       `git status` of the specs and the tree (committed) before and right after
              the one-spec render: a write that touches only what changed keeps it fast

Each time is also given as a ratio to the YAML floor (bench.floor) measured in the same run,
so results compare across machines. Prints a table; writes bench/results.json.

    python -m bench.run [--sizes 100,1000,10000] [--repeat 1] [--keep] [--skip floor,validate]

`--skip` leaves out the floor or scenarios (cold always runs: the others start from its
tree); what is skipped is missing from the table, the results and the verdicts.
"""

from __future__ import annotations

import argparse
import compileall
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

from bench import fleet
from generator.catalog import load

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results.json"
SCENARIOS = ("cold", "noop", "check", "one", "validate")
SKIPPABLE = ("floor", *SCENARIOS[1:], "git")
# at 1,000 specs: seconds, and ratios to the YAML floor measured in the same run
TARGETS = {"cold_s": 10.0, "cold_ratio": 1.0, "noop_ratio": 0.1, "check_s": 1.5,
           "one_ratio": 0.15, "peak_rss_mib": 1024.0, "growth": 11.0}
# 10,000 specs in three environments: about 70 shard roots per environment
LARGE, LARGE_TARGETS = 10_000, {"cold_s": 60.0, "one_s": 4.0, "peak_rss_mib": 2048.0,
                                "git_ratio": 1.5}
LARGE_REPEAT = 1  # minutes per run: best of one


def _env() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")}


class Spawner:
    """The small process that runs timed commands (bench.spawn), started before the
    benchmark loads anything big."""

    def __init__(self) -> None:
        self.process: subprocess.Popen[str] | None = None

    def start(self) -> None:
        if self.process is None:
            self.process = subprocess.Popen([sys.executable, "-m", "bench.spawn"], cwd=ROOT,
                                            env=_env(), stdin=subprocess.PIPE,
                                            stdout=subprocess.PIPE, text=True)

    def run(self, args: list[str], cwd: Path) -> dict[str, Any]:
        self.start()
        assert self.process is not None and self.process.stdin and self.process.stdout
        self.process.stdin.write(json.dumps({"args": args, "cwd": str(cwd),
                                             "env": _env()}) + "\n")
        self.process.stdin.flush()
        answer: dict[str, Any] = json.loads(self.process.stdout.readline())
        return answer

    def stop(self) -> None:
        if self.process is not None and self.process.stdin:
            self.process.stdin.close()
            self.process.wait()
            self.process = None


SPAWNER = Spawner()


def timed(args: list[str], cwd: Path) -> dict[str, Any]:
    """Run one command in a fresh process: wall seconds, peak RSS (MiB), exit code, output."""
    return SPAWNER.run(args, cwd)


def infergen(*args: str) -> list[str]:
    return [sys.executable, "-m", "generator", *args]


def read_tree(out: Path) -> dict[str, str]:
    return {p.relative_to(out).as_posix(): p.read_text(encoding="utf-8")
            for p in sorted(out.rglob("*")) if p.is_file()}


def change_one_spec(specs: Path) -> Path:
    """Raise one model's minimum and maximum replicas by one: a typical one-line pull
    request, which changes its output whether it autoscales or not."""
    target = sorted(p for p in specs.rglob("*.yaml") if p.name != "platform.yaml")[0]
    text = target.read_text(encoding="utf-8")
    scaling = yaml.safe_load(text)["spec"]["scaling"]
    low, high = scaling["minReplicas"], scaling["maxReplicas"]
    old = f"minReplicas: {low}, maxReplicas: {high}"
    assert old in text, f"{target}: no {old!r} to change"
    target.write_text(text.replace(old, f"minReplicas: {low + 1}, maxReplicas: {high + 1}", 1),
                      encoding="utf-8")
    return target


def bench_size(count: int, work: Path, repeat: int,
               skip: frozenset[str] = frozenset()) -> dict[str, Any]:
    specs, out = work / "specs", work / "rendered"
    fleet.write_fleet(specs, count)
    # a fleet must be valid: render it once with the real pipeline, every diagnostic fatal
    probe = timed(infergen("render", "--specs", str(specs), "--out", str(work / "probe")), work)
    if probe["code"] != 0 or "warning" in probe["output"] or "error" in probe["output"]:
        raise SystemExit(f"the synthetic fleet of {count} does not render cleanly:\n"
                         + probe["output"][-4000:])
    tree = read_tree(work / "probe")
    objects = [yaml.load(text, Loader=yaml.CSafeLoader) for text in tree.values()]
    objects_file = work / "objects.json"
    objects_file.write_text(json.dumps(objects))
    # Nothing big is deleted until the end: deleting 22,000 files costs this ext4 (mounted
    # with `discard`) seconds of background work that would be charged to the next run.
    trash = work / "trash"
    trash.mkdir()

    def floor_once() -> float:
        run = timed([sys.executable, "-m", "bench.floor", str(specs), str(objects_file)], ROOT)
        if run["code"] != 0:
            raise SystemExit(run["output"])
        seconds: float = json.loads(run["output"].splitlines()[-1])["seconds"]
        return seconds

    floor = None if "floor" in skip else min(floor_once() for _ in range(max(repeat, 1)))
    rows: dict[str, dict[str, Any]] = {}

    def record(name: str, args: list[str], before: Callable[[], object] = lambda: None,
               writes: bool = False) -> None:
        """Best of `repeat` runs, each after `before()` (not timed); with `writes`, each
        run must change the tree."""
        if name in skip and name != "cold":
            return
        best: dict[str, Any] | None = None
        for _ in range(max(repeat, 1)):
            before()
            os.sync()  # the harness's own writes are flushed before the clock starts
            run = timed(args, work)
            if run["code"] != 0:
                raise SystemExit(f"{name}: exit {run['code']}\n{run['output'][-4000:]}")
            if writes and "(0 added, 0 changed, 0 removed)" in run["output"]:
                raise SystemExit(f"{name}: the change did not reach the tree: {run['output']}")
            if best is None or run["seconds"] < best["seconds"]:
                best = run
        assert best is not None
        best["objects"] = len(tree)
        best["objects_per_s"] = len(tree) / best["seconds"]
        best["floor_ratio"] = best["seconds"] / floor if floor else None
        best["summary"] = best.pop("output").splitlines()[-1] if best.get("output") else ""
        rows[name] = best

    def fresh() -> None:  # a cold run: no output folder, no cache
        for leftover in [out, *work.glob(".rendered.*")]:
            if leftover.exists():
                leftover.rename(trash / f"{len(list(trash.iterdir()))}")

    render = infergen("render", "--specs", str(specs), "--out", str(out))
    record("cold", render, fresh)
    if read_tree(out) != tree:
        differ = sorted(set(read_tree(out).items()) ^ set(tree.items()))[:3]
        raise SystemExit(f"the cold render differs from the probe render: {differ}")
    record("noop", render)
    record("check", [*render, "--check"])
    status: dict[str, float] = {}
    if "git" not in skip and "one" not in skip:
        status["before_s"] = git_status_before(work)
    record("one", render, lambda: change_one_spec(specs), writes=True)
    if status:
        status["after_s"] = git_status(work)
        status["ratio"] = status["after_s"] / status["before_s"]
    record("validate", infergen("validate", str(specs), "--specs", str(specs)))
    roots = sum(1 for path in tree if path.endswith("/kustomization.yaml"))
    return {"specs": count, "environments_per_model": 3,
            "dashboard_widgets": widget_counts(dict(zip(tree, objects, strict=True))),
            "environments": len(fleet.platform(count)["spec"]["environments"]),
            "roots": roots, "objects": len(tree),
            "floor_s": floor,
            "scenarios": rows, "git_status": status or None}


# no background gc: it would still be writing when the work folder is deleted
GIT = ["git", "-c", "user.name=bench", "-c", "user.email=bench@example.invalid", "-c", "gc.auto=0"]


def git_status(work: Path) -> float:
    run = timed([*GIT, "status", "--porcelain"], work)
    if run["code"] != 0:
        raise SystemExit(f"git status: exit {run['code']}\n{run['output'][-2000:]}")
    seconds: float = run["seconds"]
    return seconds


def git_status_before(work: Path) -> float:
    """Commit the specs and the tree (the rest of `work` ignored), then time `git status`:
    the best of two, once git has settled its index."""
    (work / ".gitignore").write_text("/*\n!/specs/\n!/rendered/\n")
    for args in (["init", "-q"], ["add", "-A"], ["commit", "-qm", "fleet"]):
        done = subprocess.run([*GIT, *args], cwd=work, capture_output=True, text=True)
        if done.returncode != 0:
            raise SystemExit(f"git {args[0]}: {done.stderr[-2000:]}")
    git_status(work)
    return min(git_status(work) for _ in range(2))


def widget_counts(objects: dict[str, Any]) -> dict[str, int]:
    """The widgets of each dashboard of the tree (Cloud Monitoring takes at most 100): the
    files beside the roots and Config Connector's MonitoringDashboards."""
    found = {}
    for path, obj in sorted(objects.items()):
        if obj.get("kind") == "MonitoringDashboard":
            obj = obj["spec"]
        elif not path.startswith("dashboards/"):
            continue
        found[path] = len(obj["mosaicLayout"]["tiles"])
    return found


def table(results: dict[str, Any]) -> str:
    lines = [f"{'specs':>6} {'scenario':<9} {'objects':>7} {'wall s':>7} {'obj/s':>8} "
             f"{'x floor':>7} {'peak MiB':>8}  output"]
    for size in results["sizes"]:
        if size["floor_s"]:
            lines.append(f"{size['specs']:>6} {'floor':<9} {size['objects']:>7} "
                         f"{size['floor_s']:>7.2f} {size['objects'] / size['floor_s']:>8.0f} "
                         f"{1:>7.2f} {'':>8}  load specs + dump objects, C PyYAML only")
        for name in SCENARIOS:
            row = size["scenarios"].get(name)
            if row is None:  # skipped
                continue
            ratio = f"{row['floor_ratio']:>7.2f}" if row["floor_ratio"] else f"{'-':>7}"
            lines.append(f"{size['specs']:>6} {name:<9} {row['objects']:>7} "
                         f"{row['seconds']:>7.2f} {row['objects_per_s']:>8.0f} "
                         f"{ratio} {row['peak_rss_mib']:>8.0f}  "
                         f"{row['summary'][:70]}")
        status = size.get("git_status")
        if status:
            lines.append(f"{size['specs']:>6} {'git':<9} {'':>7} {status['after_s']:>7.2f} "
                         f"{'':>8} {'':>7} {'':>8}  `git status` after one spec changed; "
                         f"before {status['before_s']:.2f} s ({status['ratio']:.2f}x)")
    return "\n".join(lines)


def verdicts(results: dict[str, Any]) -> list[str]:
    """Each target met or missed; a target over a skipped scenario (or floor) is left out."""
    by_size = {s["specs"]: s for s in results["sizes"]}
    found: list[tuple[str, bool]] = []

    def seconds(rows: dict[str, Any], name: str, limit: float, label: str) -> None:
        if name in rows:
            found.append((f"{label} <= {limit:g} s", rows[name]["seconds"] <= limit))

    def ratio(rows: dict[str, Any], name: str, limit: float, label: str) -> None:
        if name in rows and rows[name]["floor_ratio"]:
            found.append((f"{label} <= {limit:g}x floor", rows[name]["floor_ratio"] <= limit))

    if 1000 in by_size:
        big = by_size[1000]["scenarios"]
        seconds(big, "cold", TARGETS["cold_s"], "cold")
        ratio(big, "cold", TARGETS["cold_ratio"], "cold")
        ratio(big, "noop", TARGETS["noop_ratio"], "noop render")
        seconds(big, "check", TARGETS["check_s"], "render --check")
        ratio(big, "one", TARGETS["one_ratio"], "one spec changed")
        peak = max(r["peak_rss_mib"] for r in big.values())
        found.append((f"peak RSS <= {TARGETS['peak_rss_mib']:g} MiB",
                      peak <= TARGETS["peak_rss_mib"]))
        if 100 in by_size:
            growth = big["cold"]["seconds"] / by_size[100]["scenarios"]["cold"]["seconds"]
            found.append((f"100 -> 1000 cold is {growth:.1f}x (<= {TARGETS['growth']:g}x)",
                          growth <= TARGETS["growth"]))
    limit = load().observability.dashboards.max_widgets
    for size in results["sizes"]:
        counts = size.get("dashboard_widgets") or {}
        if counts:
            found.append((f"{size['specs']} specs: {len(counts)} dashboards, at most "
                          f"{max(counts.values())} widgets (<= {limit})",
                          max(counts.values()) <= limit))
    if LARGE in by_size:
        large = by_size[LARGE]["scenarios"]
        seconds(large, "cold", LARGE_TARGETS["cold_s"], f"{LARGE} specs: cold")
        seconds(large, "one", LARGE_TARGETS["one_s"], f"{LARGE} specs: one spec changed")
        status = by_size[LARGE].get("git_status")
        if status:
            found.append((f"{LARGE} specs: git status after <= {LARGE_TARGETS['git_ratio']:g}x "
                          "before", status["ratio"] <= LARGE_TARGETS["git_ratio"]))
        peak = max(r["peak_rss_mib"] for r in large.values())
        found.append((f"{LARGE} specs: peak RSS <= {LARGE_TARGETS['peak_rss_mib']:g} MiB",
                      peak <= LARGE_TARGETS["peak_rss_mib"]))
    return [f"{'ok  ' if ok else 'MISS'} {name}" for name, ok in found]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default=f"100,1000,{LARGE}")
    parser.add_argument("--repeat", type=int, default=1, help="best of N runs per scenario")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folders")
    parser.add_argument("--out", type=Path, default=RESULTS)
    parser.add_argument("--skip", default="", help="leave out: floor and scenarios "
                        f"({', '.join(SKIPPABLE[1:])}), comma-separated")
    args = parser.parse_args(argv)
    skip = frozenset(filter(None, args.skip.split(",")))
    unknown = skip - set(SKIPPABLE)
    if unknown:
        parser.error(f"--skip: unknown {', '.join(sorted(unknown))}")
    results: dict[str, Any] = {
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(),
                    "platform": platform.platform(), "libyaml": yaml.__with_libyaml__},
        "sizes": []}
    works: list[Path] = []
    # the package's bytecode, as an install compiles it: with PYTHONDONTWRITEBYTECODE set (as
    # on the development machine), every timed run would compile 100 modules again (0.1 s)
    compileall.compile_dir(ROOT / "generator", quiet=1)
    SPAWNER.start()  # while this process is still small: see bench.spawn
    try:
        for count in (int(s) for s in args.sizes.split(",")):
            works.append(Path(tempfile.mkdtemp(prefix=f"infergen-bench-{count}-")))
            print(f"bench: {count} specs in {works[-1]} ...", file=sys.stderr, flush=True)
            repeat = min(args.repeat, LARGE_REPEAT) if count >= LARGE else args.repeat
            results["sizes"].append(bench_size(count, works[-1], repeat, skip))
    finally:  # only now: see `trash` in bench_size
        SPAWNER.stop()
        for work in works if not args.keep else []:
            shutil.rmtree(work, ignore_errors=True)
    results["verdicts"] = verdicts(results)
    args.out.write_text(json.dumps(results, indent=2) + "\n")
    print(table(results))
    print("\n".join(results["verdicts"]))
    print(f"written: {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
