"""Extract generator/catalog/prices.yaml (the list prices `infergen diff` and `infergen cost`
read) from fetched copies of two public, machine-readable price lists.

1. `cyclenerd`: Cyclenerd/google-cloud-pricing-cost-calculator's `pricing.yml` (Apache-2.0),
   a weekly export of the Cloud Billing Catalog API, dated (`about.timestamp`). Per machine
   type and region it gives the hourly on-demand price (`hour`) and the Spot price
   (`hour_spot`), each for the whole VM: its vCPUs, memory, GPUs and bundled Local SSD
   together. It has no TPU rows, and its N1 rows price the VM without the GPUs attached.
2. `skypilot`: skypilot-org/skypilot-catalog's `catalogs/v8/gcp/vms.csv` (Apache-2.0), made
   by SkyPilot's fetch_gcp.py from Google's APIs (Cloud Billing SKUs for the prices); the
   file carries no date, so the day it was read is recorded (`read: true`). It prices
   hosts and accelerators in separate rows (`Price`, `SpotPrice`, per zone). Two kinds of
   row are taken from it:
   - Cloud TPU slices (`tpu-v5litepod-4`, ...): the slice a TPU machine type is, whole;
   - GPUs attached to an N1 VM (T4), per GPU, added to cyclenerd's N1 VM price.
   Its rates for GPUs built into A3/A4 machines are not used: where both lists price such
   a machine they disagree (a3-highgpu-8g in us-central1: 9.46 host + 33.61 for 8 H100s in
   skypilot, 88.49 for the VM in cyclenerd); its rates for 8 H200s are 36.60 or 74.49 an
   hour by region, with Spot above on-demand in 4 of 9 regions; its a4-highgpu-8g (B200)
   host rows are 0.0; it has no A4X rows.
A region is kept only when every zone row agrees and 0 < Spot < on-demand: skypilot's rows
hold 700.0 (tpu-v6e in us-central2) or 0.0 (a4-highgpu-8g) where no list price stands.

Google's own Billing Catalog API needs a key and is not reachable from CI, so these pinned
copies are what infergen reads. Only the machine types accelerators.yaml names are kept;
those no source prices are listed under `unpriced` with the reason; nothing is guessed.

CI never runs this (it needs the source files). To refresh:
    git clone https://github.com/Cyclenerd/google-cloud-pricing-cost-calculator cyc
    curl -O https://raw.githubusercontent.com/skypilot-org/skypilot-catalog/$C/catalogs/v8/gcp/vms.csv
    python -m tools.prices --source cyc/pricing.yml --commit $(git -C cyc rev-parse HEAD) \
        --skypilot vms.csv --skypilot-commit $C --skypilot-read $(date -u +%F)
"""

from __future__ import annotations

import argparse
import csv
import datetime
import sys
from collections import defaultdict
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "generator" / "catalog" / "prices.yaml"
ACCELERATORS = ROOT / "generator" / "catalog" / "accelerators.yaml"
CYCLENERD = "https://github.com/Cyclenerd/google-cloud-pricing-cost-calculator"
SKYPILOT = "https://github.com/skypilot-org/skypilot-catalog"
SKYPILOT_PATH = "catalogs/v8/gcp/vms.csv"
DIGITS = 6  # a millionth of a dollar per hour: far below what a monthly estimate shows

# GPUs that attach to a general-purpose VM (cyclenerd prices the VM without them) -> the
# skypilot AcceleratorName of one such GPU
ATTACHED = {"nvidia-tesla-t4": "T4"}
# TPU generation -> skypilot's slice name prefix, and how many of the name's units one
# chip is (v4 and v5p slices are named by TensorCores, two per chip; v5e and v6e by chips)
TPU_SLICES = {"tpu-v4": ("tpu-v4", 2), "tpu-v5p": ("tpu-v5p", 2),
              "tpu-v5e": ("tpu-v5litepod", 1), "tpu-v6e": ("tpu-v6e", 1)}


def _load(path: Path) -> Any:
    return yaml.load(path.read_text(encoding="utf-8"),
                     Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))


def wanted_machines(accelerators: dict[str, Any]) -> dict[str, tuple[str, int]]:
    """machine type -> the accelerator (catalog name) it carries, and how many GPUs (TPU
    machines: how many chips)."""
    found = {m["type"]: (name, m["gpus"]) for name, gpu in accelerators["gpus"].items()
             for m in gpu["machines"]}
    found.update({m["type"]: (name, int(chips)) for name, tpu in accelerators["tpus"].items()
                  for chips, m in (tpu.get("machines") or {}).items()})
    return found


# keys of a cyclenerd row that are not accelerators
SHAPE_KEYS = {"cost", "cpu", "ram", "local-ssd"}


def _gpus_included(row: dict[str, Any]) -> int:
    """GPUs cyclenerd's price includes: its accelerator keys (`l4: 1`, `h100-80gb: 8`).
    An N1 row has none: its price is the VM alone, without the T4s attached to it."""
    return sum(int(v) for k, v in row.items() if k not in SHAPE_KEYS and isinstance(v, int))


def _generated(about: dict[str, Any]) -> str:
    """cyclenerd's own date (`about.timestamp`, seconds since the epoch, UTC)."""
    stamp = datetime.datetime.fromtimestamp(int(about["timestamp"]), datetime.UTC)
    return stamp.date().isoformat()


def _rate(on_demand: float, spot: float) -> dict[str, float]:
    return {"onDemand": round(on_demand, DIGITS), "spot": round(spot, DIGITS)}


def skypilot_rates(rows: Iterable[dict[str, str]]) -> dict[str, dict[str, tuple[float, float]]]:
    """Accelerator rows (no InstanceType; one accelerator, or one TPU slice) -> name ->
    region -> (on-demand, Spot), for the regions where every zone agrees on a price with
    0 < Spot < on-demand."""
    seen: dict[str, dict[str, set[tuple[float, float]]]] = defaultdict(lambda: defaultdict(set))
    for row in rows:
        if row["InstanceType"] or row["AcceleratorCount"] not in ("1", "1.0"):
            continue
        try:
            pair = (float(row["Price"]), float(row["SpotPrice"]))
        except ValueError:  # an empty Spot price
            pair = (0.0, 0.0)
        seen[row["AcceleratorName"]][row["Region"]].add(pair)
    return {name: {region: next(iter(pairs)) for region, pairs in sorted(regions.items())
                   if len(pairs) == 1 and 0 < next(iter(pairs))[1] < next(iter(pairs))[0]}
            for name, regions in seen.items()}


def _slice(accelerator: str, chips: int) -> str | None:
    if accelerator not in TPU_SLICES:
        return None
    prefix, units = TPU_SLICES[accelerator]
    return f"{prefix}-{chips * units}"


def extract(source: dict[str, Any], sky: dict[str, dict[str, tuple[float, float]]],
            accelerators: dict[str, Any], commits: dict[str, str],
            read: str) -> dict[str, Any]:
    instances = source["compute"]["instance"]
    machines: dict[str, dict[str, dict[str, float]]] = {}
    origin: dict[str, list[str]] = {}
    unpriced: dict[str, str] = {}
    for machine, (accelerator, count) in sorted(wanted_machines(accelerators).items()):
        row = instances.get(machine) or {}
        costs = {region: cost for region, cost in (row.get("cost") or {}).items()
                 if isinstance(cost, dict) and cost.get("hour") and cost.get("hour_spot")}
        if accelerator in accelerators["tpus"]:
            name = _slice(accelerator, count)
            rows = {region: _rate(*pair) for region, pair in sky.get(name or "", {}).items()}
            where = ["skypilot"]
            why = f"{accelerator}: no {name or machine} slice in either source"
        elif accelerator in ATTACHED and row and _gpus_included(row) == 0:
            gpu = sky.get(ATTACHED[accelerator], {})
            rows = {region: _rate(float(cost["hour"]) + count * gpu[region][0],
                                  float(cost["hour_spot"]) + count * gpu[region][1])
                    for region, cost in sorted(costs.items()) if region in gpu}
            where = ["cyclenerd", "skypilot"]
            why = (f"{accelerator}: cyclenerd prices the VM without its {count} GPU(s), and "
                   "skypilot has no price for the GPU in the same regions")
        elif row and _gpus_included(row) != count:
            unpriced[machine] = (f"{accelerator}: the source prices the VM without its "
                                 f"{count} GPU(s)")
            continue
        else:
            rows = {region: _rate(float(cost["hour"]), float(cost["hour_spot"]))
                    for region, cost in sorted(costs.items())}
            where = ["cyclenerd"]
            why = (f"{accelerator}: not in cyclenerd's price list (skypilot's host + GPU "
                   "rates for machines with built-in GPUs are not used: see tools/prices.py)")
        if rows:
            machines[machine] = rows
            origin[machine] = where
        else:
            unpriced[machine] = why
    for name, tpu in accelerators["tpus"].items():
        if not tpu.get("machines"):
            unpriced[name] = "no machine types in accelerators.yaml to price"
    sources = {
        "cyclenerd": {"url": f"{CYCLENERD}/blob/{commits['cyclenerd']}/pricing.yml",
                      "commit": commits["cyclenerd"], "date": _generated(source["about"]),
                      "covers": "whole VMs"},
        "skypilot": {"url": f"{SKYPILOT}/blob/{commits['skypilot']}/{SKYPILOT_PATH}",
                     "commit": commits["skypilot"], "date": read, "read": True,
                     "covers": "TPU slices and T4 GPUs"},
    }
    return {
        "sources": sources,
        "currency": "USD",
        "hoursPerMonth": 730,
        "machines": machines,
        "machineSources": {m: names for m, names in origin.items() if names != ["cyclenerd"]},
        "unpriced": dict(sorted(unpriced.items())),
    }


HEADER = """\
# List prices per machine type and region (USD per hour, the whole VM: vCPUs, memory, its
# GPUs and bundled Local SSD; a TPU machine: its slice, all its chips). Generated by
# tools/prices.py from the `sources` below (each pinned to a commit); do not edit by hand.
#   onDemand       the on-demand list price
#   spot           the Spot VM list price
#   flexStart      the Flex Start price, only where it differs from onDemand (no source
#                  has Flex Start rates: none is listed, so Flex Start is priced as onDemand)
#   machineSources the sources of a machine type's rates where not `cyclenerd` alone (an
#                  N1 VM from cyclenerd plus its T4 GPUs from skypilot; TPU slices)
#   unpriced       the machine types of accelerators.yaml no source prices, and why
"""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", type=Path, required=True, help="cyclenerd's pricing.yml")
    parser.add_argument("--commit", required=True, help="cyclenerd's commit")
    parser.add_argument("--skypilot", type=Path, required=True,
                        help=f"skypilot-catalog's {SKYPILOT_PATH} (or the rows of it this uses)")
    parser.add_argument("--skypilot-commit", required=True, help="skypilot-catalog's commit")
    parser.add_argument("--skypilot-read", required=True, help="the day it was read, YYYY-MM-DD")
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args(argv)
    datetime.date.fromisoformat(args.skypilot_read)
    with args.skypilot.open(encoding="utf-8", newline="") as handle:
        sky = skypilot_rates(csv.DictReader(handle))
    data = extract(_load(args.source), sky, _load(ACCELERATORS),
                   {"cyclenerd": args.commit, "skypilot": args.skypilot_commit},
                   args.skypilot_read)
    parts = [({"sources": data.pop("sources")}, False), ({"unpriced": data.pop("unpriced")}, False)]
    parts[1:1] = [(data, None)]
    text = HEADER + "".join(yaml.safe_dump(part, sort_keys=False, default_flow_style=flow,
                                           width=200) for part, flow in parts)
    args.out.write_text(text, encoding="utf-8")
    print(f"wrote {args.out}: {len(data['machines'])} machine types priced, "
          f"{len(parts[2][0]['unpriced'])} unpriced", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
