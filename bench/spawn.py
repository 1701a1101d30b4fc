"""Runs the benchmark's timed commands from a process that stays small. Linux carries a
process's high-water RSS into a child it forks, through exec, so a command spawned by the
benchmark itself (which holds a whole rendered tree in memory) would report the benchmark's
peak as its own. Reads one JSON request per line ({args, cwd, env}) and answers each with
one JSON line: wall seconds, peak RSS (MiB) from wait4, exit code and output."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time


def run(args: list[str], cwd: str, env: dict[str, str]) -> dict[str, object]:
    start = time.perf_counter()
    process = subprocess.Popen(args, cwd=cwd, env=env, stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT)
    assert process.stdout is not None
    output = process.stdout.read()
    _, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - start
    return {"seconds": wall, "peak_rss_mib": usage.ru_maxrss / 1024,
            "code": os.waitstatus_to_exitcode(status),
            "output": output.decode(errors="replace").strip()}


def main() -> int:
    for line in sys.stdin:
        request = json.loads(line)
        print(json.dumps(run(request["args"], request["cwd"], request["env"])), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
