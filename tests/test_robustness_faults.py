"""Bad input never hurts: faults while writing the tree.

A render killed at random moments (a real process, SIGKILL), a full disk (mocked ENOSPC
at several points of the write, and a real tiny tmpfs where this machine can mount one),
a read-only rendered/ (chmod where it stops us; as root it does not, so EROFS and EACCES
are injected into the write instead), and two renders at once. After each: every file is
whole, the old one or the new one (each file is written atomically; the tree as a whole is
not), the foreign file is still there, the CLI says what happened without a traceback,
and the next run renders the tree exactly.
"""

from __future__ import annotations

import errno
import fcntl
import os
import random
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from generator import catalog
from generator.cli import main
from generator.output import write as write_module
from generator.output.scan import TEMP_PREFIX
from generator.pipeline import compile_specs
from tests.conftest import ROOT
from tests.errorcases import MODEL

FOREIGN = ("README.md", b"hand written\n")
ENVIRONMENTS = 6
MODELS = 40  # x 6 environments: ~1200 files, so a write takes long enough to be hit


def _platform(environments: int) -> str:
    listed = "".join(f"    - name: e{i}\n      clusters: [c{i}]\n" for i in range(environments))
    return ("apiVersion: infergen.dev/v1alpha1\nkind: Platform\nmetadata:\n  name: acme\n"
            "spec:\n  configSync:\n    repo: https://example.com/config.git\n"
            "  environments:\n" + listed)


def _fleet(specs: Path, version: str, models: int = MODELS) -> None:
    """A specs folder: version "a" (one L4 per replica) or "b" (two), every file changes."""
    if specs.exists():
        shutil.rmtree(specs)
    specs.mkdir(parents=True)
    (specs / "platform.yaml").write_text(_platform(ENVIRONMENTS), encoding="utf-8")
    count = "1" if version == "a" else "2"
    for i in range(models):
        text = MODEL.replace("name: m", f"name: m{i}") + f"    count: {count}\n"
        (specs / f"m{i}.yaml").write_text(text, encoding="utf-8")


def _tree(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def _expected(specs: Path) -> dict[str, bytes]:
    outcome = compile_specs([specs], "rendered", catalog.load())
    assert outcome.tree is not None and not outcome.failed
    tree = {path: text.encode("utf-8") for path, text in outcome.tree.items()}
    tree[FOREIGN[0]] = FOREIGN[1]
    return tree


def _leftovers(out: Path) -> set[str]:
    """Temporary files in the tree or beside it (the lock, the manifest and the cache are
    kept)."""
    beside = {p.name for p in out.parent.iterdir() if p.name.startswith(f".{out.name}.")} - {
        f".{out.name}.infergen-lock", f".{out.name}.infergen-manifest",
        f".{out.name}.infergen-cache"}
    return beside | {p.relative_to(out).as_posix() for p in out.rglob(f"{TEMP_PREFIX}*")}


def _whole(tree: dict[str, bytes], old: dict[str, bytes], new: dict[str, bytes]) -> str:
    """Assert that every file is the old one or the new one (a temporary file a kill left
    aside); say how many of each."""
    mixed = {path: data for path, data in tree.items() if TEMP_PREFIX not in path}
    torn = [path for path, data in mixed.items() if data not in (old.get(path), new.get(path))]
    assert not torn, f"files neither old nor new: {torn[:5]}"
    assert FOREIGN[0] in mixed
    fresh = sum(1 for path, data in mixed.items() if data == new.get(path) != old.get(path))
    return f"{fresh} new, {len(mixed) - fresh} old or unchanged"


def _render(specs: Path, out: Path) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["render", "--specs", str(specs), "--out", str(out)])
    assert "Traceback" not in result.output, result.output
    return result.exit_code, result.output


def _which(tree: dict[str, bytes], trees: dict[str, dict[str, bytes]]) -> str:
    found = [name for name, candidate in trees.items() if tree == candidate]
    assert found, "the tree is neither the old one nor the new one: " + ", ".join(
        f"{name}: {len(set(tree) ^ set(c))} paths differ, "
        f"{sum(tree.get(p) != c.get(p) for p in c)} files differ" for name, c in trees.items())
    return found[0]


def _versions(base: Path, models: int) -> dict[str, Any]:
    """Specs a and b, and the exact trees they render to (with the foreign file)."""
    trees = {}
    for version in "ab":
        _fleet(base / version, version, models)
        trees[version] = _expected(base / version)
    assert trees["a"] != trees["b"]
    return {"base": base, "trees": trees, "models": models}


@pytest.fixture(scope="module")
def fleet(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """Large: a write takes long enough for a kill to land inside it."""
    return _versions(tmp_path_factory.mktemp("fleet"), MODELS)


@pytest.fixture(scope="module")
def small_fleet(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """10 models x 6 environments: ~300 files, 60 of them change from a to b."""
    return _versions(tmp_path_factory.mktemp("small-fleet"), 10)


def _switch(specs: Path, fleet: dict[str, Any], version: str) -> None:
    shutil.rmtree(specs)
    shutil.copytree(fleet["base"] / version, specs)


def _start(tmp: Path, fleet: dict[str, Any], version: str) -> tuple[Path, Path]:
    """tmp/specs holding `version`, tmp/rendered its clean render plus a foreign file."""
    specs, out = tmp / "specs", tmp / "rendered"
    shutil.copytree(fleet["base"] / version, specs)
    out.mkdir()
    (out / FOREIGN[0]).write_bytes(FOREIGN[1])
    assert _render(specs, out)[0] == 0
    assert _tree(out) == fleet["trees"][version]
    return specs, out


# ------------------------------------------------------------------ SIGKILL at random points

KILLS = 10


def _writing(out: Path, first: str, was: int, process: subprocess.Popen[bytes]) -> float:
    """Seconds from now until the write starts: the first file it writes (`first`, whose
    stamp was `was`) changes."""
    started = time.monotonic()
    while process.poll() is None:
        try:
            if os.stat(out / first).st_ctime_ns != was:
                break
        except FileNotFoundError:
            break
        time.sleep(0.0005)
    return time.monotonic() - started


def _first_written(out: Path, target: dict[str, bytes]) -> str:
    """The first file a write of `target` over `out` writes: files are written in order."""
    now = _tree(out)
    return min(path for path, data in target.items() if now.get(path) != data)


def test_a_render_killed_at_random_moments_leaves_every_file_whole_and_recovers(
        tmp_path: Path, fleet: dict[str, Any], capsys: pytest.CaptureFixture[str]) -> None:
    specs, out = _start(tmp_path, fleet, "a")
    trees = fleet["trees"]
    command = [sys.executable, "-m", "generator", "render", "--specs", str(specs),
               "--out", str(out)]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    # how long an uninterrupted render of the other version takes, to aim the kills
    _switch(specs, fleet, "b")
    first = _first_written(out, trees["b"])
    started = time.monotonic()
    calibration = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL)
    before_write = _writing(out, first, os.stat(out / first).st_ctime_ns, calibration)
    assert calibration.wait() == 0
    full = time.monotonic() - started
    writing = max(full - before_write, 0.01)  # the write, and the cache's
    assert _tree(out) == trees["b"]
    rng = random.Random(7)  # fixed: CI kills at the same moments every run
    outcomes = []
    for attempt in range(KILLS):
        now = _tree(out)  # towards the version most of the tree is not
        target = max("ab", key=lambda v: sum(now.get(p) != d for p, d in trees[v].items()))
        _switch(specs, fleet, target)
        first = _first_written(out, trees[target])
        was = os.stat(out / first).st_ctime_ns if (out / first).exists() else -1
        launched = time.monotonic()
        process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL,
                                   stderr=subprocess.PIPE)
        if attempt % 3 == 0:  # anywhere in the run: compiling or writing
            delay = full * rng.uniform(0.3, 1.0)
            aim = "from start"
            time.sleep(delay)
        else:  # inside the write: once its first file changed, a little later
            delay = _writing(out, first, was, process) + writing * rng.uniform(0.0, 1.1)
            aim = "in the write"
            time.sleep(max(0.0, delay - (time.monotonic() - launched)))
        finished = process.poll() is not None
        process.send_signal(signal.SIGKILL)
        _, stderr = process.communicate()
        assert b"Traceback" not in stderr, stderr.decode()
        assert out.is_dir(), f"kill {attempt}: no tree at all"
        state = _whole(_tree(out), trees["b" if target == "a" else "a"], trees[target])
        outcomes.append(f"kill {attempt + 1} {aim} at {delay:.3f}s (run ~{full:.2f}s, "
                        f"write ~{writing:.2f}s): {'had finished, ' if finished else ''}"
                        f"{state}, leftovers {sorted(_leftovers(out)) or 'none'}")
    # the next run repairs whatever the kills left
    _switch(specs, fleet, "a")
    code, output = _render(specs, out)
    assert code == 0, output
    assert _tree(out) == trees["a"]
    assert _leftovers(out) == set()
    with capsys.disabled():
        print("\n" + "\n".join(outcomes))


# ------------------------------------------------------------------ injected write errors


def _fail_nth(monkeypatch: pytest.MonkeyPatch, owner: Any, name: str, nth: int,
              code: int) -> None:
    real = getattr(owner, name)
    calls = {"n": 0}

    def failing(*args: Any, **kwargs: Any) -> Any:
        calls["n"] += 1
        if calls["n"] == nth:
            raise OSError(code, os.strerror(code))
        return real(*args, **kwargs)

    monkeypatch.setattr(owner, name, failing)


def _fail_every(monkeypatch: pytest.MonkeyPatch, owner: Any, name: str, code: int) -> None:
    """A refusal that lasts (a read-only file system): every call fails."""
    def failing(*args: Any, **kwargs: Any) -> Any:
        raise OSError(code, os.strerror(code))

    monkeypatch.setattr(owner, name, failing)


FAULTS: dict[str, tuple[Callable[[pytest.MonkeyPatch], None], str]] = {
    # disk full while writing: the first file, a file in the middle, the last ones
    "enospc-first-file": (lambda m: _fail_nth(m, os, "write", 1, errno.ENOSPC),
                          "No space left on device"),
    "enospc-mid-write": (lambda m: _fail_nth(m, os, "write", 30, errno.ENOSPC),
                         "No space left on device"),
    "enospc-last-file": (lambda m: _fail_nth(m, os, "write", 60, errno.ENOSPC),
                         "No space left on device"),
    "edquot-quota": (lambda m: _fail_nth(m, os, "open", 20, errno.EDQUOT),
                     "Disk quota exceeded"),
    # read-only: the folder beside rendered/ refuses the lock, or the tree every rename
    "erofs-mkdir": (lambda m: _fail_every(m, Path, "mkdir", errno.EROFS),
                    "Read-only file system"),
    "erofs-rename": (lambda m: _fail_every(m, os, "replace", errno.EROFS),
                     "Read-only file system"),
    "eacces-rename": (lambda m: _fail_nth(m, os, "replace", 10, errno.EACCES),
                      "Permission denied"),
    "eio-rename": (lambda m: _fail_nth(m, os, "replace", 1, errno.EIO), "Input/output error"),
}


@pytest.mark.parametrize("fault", sorted(FAULTS))
def test_a_write_error_leaves_the_old_tree_and_the_next_run_recovers(
        tmp_path: Path, small_fleet: dict[str, Any], monkeypatch: pytest.MonkeyPatch,
        fault: str) -> None:
    specs, out = _start(tmp_path, small_fleet, "a")
    _switch(specs, small_fleet, "b")
    inject, message = FAULTS[fault]
    with monkeypatch.context() as patch:
        inject(patch)
        code, output = _render(specs, out)
    assert code == 1, output
    assert f"infergen: cannot write {out}: {message}" in output, output
    _whole(_tree(out), small_fleet["trees"]["a"], small_fleet["trees"]["b"])
    assert _leftovers(out) == set()
    code, output = _render(specs, out)
    assert code == 0, output
    assert _tree(out) == small_fleet["trees"]["b"]


def test_a_read_only_rendered_folder(tmp_path: Path, small_fleet: dict[str, Any]) -> None:
    """chmod where it stops writes; as root (CI) it does not, and the EROFS/EACCES cases
    above inject the same refusal into the write instead of skipping."""
    specs, out = _start(tmp_path, small_fleet, "a")
    _switch(specs, small_fleet, "b")
    modes = {p: p.stat().st_mode for p in (tmp_path, out)}
    for path in modes:
        path.chmod(0o555)
    try:
        probe = tmp_path / ".probe"
        try:
            probe.touch()
            probe.unlink()
            chmod_stops_writes = False  # root: write permission is not enforced
        except PermissionError:
            chmod_stops_writes = True
        code, output = _render(specs, out)
    finally:
        for path, mode in modes.items():
            path.chmod(mode)
    if chmod_stops_writes:
        assert code == 1, output
        assert f"infergen: cannot write {out}: Permission denied" in output, output
        assert _tree(out) == small_fleet["trees"]["a"]
        assert _leftovers(out) == set()
    else:
        assert code == 0, output  # as root the render simply succeeds: still whole
        assert _tree(out) == small_fleet["trees"]["b"]
    assert _render(specs, out)[0] == 0
    assert _tree(out) == small_fleet["trees"]["b"]


# ------------------------------------------------------------------ a real full disk


@pytest.fixture
def tiny_disk(tmp_path: Path) -> Iterator[Path]:
    """A 512 KiB tmpfs, where this machine lets us mount one (root on Linux); the mocked
    ENOSPC cases above cover disk full everywhere else."""
    disk = tmp_path / "disk"
    disk.mkdir()
    if sys.platform != "linux" or shutil.which("mount") is None or os.geteuid() != 0:
        pytest.skip("mounting a tmpfs needs root on Linux; mocked ENOSPC covers it")
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=512k", "tmpfs", str(disk)],
                             capture_output=True)
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.decode().strip()}")
    try:
        yield disk
    finally:
        subprocess.run(["umount", "-l", str(disk)], check=False)


def test_a_really_full_disk(tmp_path: Path, fleet: dict[str, Any], tiny_disk: Path) -> None:
    small, out = tmp_path / "small", tiny_disk / "rendered"
    _fleet(small, "a", models=2)
    out.mkdir()
    (out / FOREIGN[0]).write_bytes(FOREIGN[1])
    code, output = _render(small, out)
    assert code == 0, output
    before = _tree(out)
    code, output = _render(fleet["base"] / "b", out)  # ~1200 files: cannot fit in 512 KiB
    assert code == 1, output
    assert f"infergen: cannot write {out}: No space left on device" in output, output
    _whole(_tree(out), before, fleet["trees"]["b"])
    assert _leftovers(out) == set()
    subprocess.run(["mount", "-o", "remount,size=64m", str(tiny_disk)], check=True)
    code, output = _render(fleet["base"] / "b", out)  # room again: the next run recovers
    assert code == 0, output
    assert _tree(out) == fleet["trees"]["b"]


# ------------------------------------------------------------------ two renders at once


def test_a_render_while_another_holds_the_lock_is_refused_clearly(
        tmp_path: Path, small_fleet: dict[str, Any]) -> None:
    specs, out = _start(tmp_path, small_fleet, "a")
    _switch(specs, small_fleet, "b")
    lock = write_module.lock_of(out)
    with lock.open("w") as another:  # another process's hold (this one's would be re-entrant)
        fcntl.flock(another, fcntl.LOCK_EX | fcntl.LOCK_NB)
        code, output = _render(specs, out)
    assert code == 1
    assert f"infergen: another infergen is writing {out}; try again when it ends" in output
    assert _tree(out) == small_fleet["trees"]["a"]
    assert _render(specs, out)[0] == 0
    assert _tree(out) == small_fleet["trees"]["b"]


def test_two_renders_at_once_never_interleave(tmp_path: Path, fleet: dict[str, Any],
                                             capsys: pytest.CaptureFixture[str]) -> None:
    _, out = _start(tmp_path, fleet, "a")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    outcomes = []
    for attempt, offset in enumerate((0.0, 0.05, 0.3)):
        runs = []
        for version in ("b", "a") if attempt % 2 else ("a", "b"):
            runs.append((version, subprocess.Popen(
                [sys.executable, "-m", "generator", "render", "--specs",
                 str(fleet["base"] / version), "--out", str(out)],
                env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)))
            time.sleep(offset)
        results = []
        for version, process in runs:
            stdout, stderr = process.communicate()
            text = (stdout + stderr).decode()
            assert "Traceback" not in text, text
            assert process.returncode in (0, 1), text
            if process.returncode == 1:
                assert "another infergen is writing" in text, text
            results.append(f"{version}: exit {process.returncode}")
        now = _which(_tree(out), fleet["trees"])
        assert _leftovers(out) == set()
        outcomes.append(f"concurrent renders {attempt + 1} ({', '.join(results)}): tree {now}")
    with capsys.disabled():
        print("\n" + "\n".join(outcomes))
