"""The YAML floor: load every spec file with PyYAML's C loader and dump every rendered
object with its C dumper, nothing else. Run in a fresh process by bench.run; prints seconds.

    python -m bench.floor SPECS_FOLDER OBJECTS_JSON
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import yaml


def floor(specs: Path, objects: list[object]) -> float:
    files = sorted(p for p in specs.rglob("*") if p.suffix in (".yaml", ".yml"))
    start = time.perf_counter()
    for file in files:
        yaml.load(file.read_text(encoding="utf-8"), Loader=yaml.CSafeLoader)
    for obj in objects:
        yaml.dump(obj, Dumper=yaml.CSafeDumper, sort_keys=False, default_flow_style=False,
                  allow_unicode=True, width=1_000_000)
    return time.perf_counter() - start


def main() -> None:
    specs, objects = Path(sys.argv[1]), json.loads(Path(sys.argv[2]).read_text())
    print(json.dumps({"seconds": floor(specs, objects)}))


if __name__ == "__main__":
    main()
