"""List prices for what a tree of specs stands up, for `infergen diff` and `infergen cost`.

Each model, on each cluster of its environment, priced at minReplicas and at maxReplicas
in the cluster's region (plan/capacity.py) from catalog/prices.yaml. What is priced is the
VM of every node a replica needs, with its GPUs (and the Local SSD bundled with A2 Ultra
and A3 machines); a shared GPU is priced at its share of the VM, a TPU slice per chip-hour
(the TPU VM's price over its chips). Boot disks, network, the GKE cluster fee, Autopilot
premiums and committed-use discounts are not (only `pricing.discount`, as one factor).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from generator.catalog import Catalog
from generator.catalog.prices import Prices, Source
from generator.plan.capacity import Demand, demand_of, region_of
from generator.plan.records import Plan, Platform
from generator.plan.resolve import plans_for, platform_from
from generator.spec.load import load

INCLUDED = ("the VM of each node a replica needs, with its GPUs and bundled Local SSD; "
            "shared GPUs at their share, TPU slices per chip-hour")
EXCLUDED = ("boot disks, storage, network, the GKE cluster fee, Autopilot premiums, "
            "committed-use and negotiated discounts (except pricing.discount)")
RESERVATION_NOTE = "reservation: priced at 0 beyond what is already committed (paid for anyway)"
FLEX_NOTE = "flex-start: priced at the on-demand list price (the source lists no Flex Start rate)"


@dataclass(frozen=True)
class Priced:
    """One model on one cluster: its accelerators and list price per hour at min and max
    replicas (None: not priced, `why` says why)."""

    demand: Demand
    cluster: str
    region: str | None
    basis: str  # what it is priced as: on-demand | spot | flex-start | reservation
    hourly_min: float | None
    hourly_max: float | None
    why: str = ""

    @property
    def accelerators_min(self) -> float:
        return self.demand.accelerators(self.demand.min_replicas)

    @property
    def accelerators_max(self) -> float:
        return self.demand.accelerators(self.demand.max_replicas)


@dataclass
class Standing:
    """The totals of a group of Priced lines (an environment or a namespace)."""

    accelerators_min: dict[str, float] = field(default_factory=dict)
    accelerators_max: dict[str, float] = field(default_factory=dict)
    hourly_min: float = 0.0
    hourly_max: float = 0.0
    notes: list[str] = field(default_factory=list)  # what is priced how, what is not
    priced: int = 0  # lines (model x cluster) in the totals
    unpriced: int = 0  # lines left out of them (their reasons are in the notes)
    unpriced_types: set[str] = field(default_factory=set)  # accelerators of those lines


def plans_in(folder: Path, catalog: Catalog) -> tuple[Platform | None, list[Plan]]:
    """The resolved plans of a specs folder that compiled clean (so every document is
    valid); no Platform (and no plans) for a folder that held no specs."""
    sources, _ = load([folder])
    found = [s for s in sources if s.kind == "Platform"]
    if not found:
        return None, []
    platform = platform_from(found[0])
    plans = [p for s in sources if s.kind == "ModelDeployment"
             for p in plans_for(s, platform, catalog)]
    return platform, sorted(plans, key=lambda p: (p.environment.name, p.namespace, p.name))


def _hourly(demand: Demand, rate: float, replicas: int) -> float:
    if demand.kind == "tpu" and demand.machine_devices:
        chip_hour = rate / demand.machine_devices  # the TPU VM's price over its chips
        return chip_hour * demand.devices * replicas
    return rate * demand.hosts * demand.share * replicas


def price(demand: Demand, cluster: str, region: str | None, prices: Prices,
          discount: float, target: str = "gke") -> Priced:
    basis = demand.provisioning[0]
    if demand.kind == "none":
        return Priced(demand, cluster, region, basis, None, None,
                      "CPU only (no accelerator): its machine type is not known to infergen")
    if target == "kubernetes":
        return Priced(demand, cluster, region, basis, None, None,
                      "a plain Kubernetes cluster (target kubernetes): no GKE list price")
    if demand.machine is None:
        return Priced(demand, cluster, region, basis, None, None,
                      f"{demand.accelerator}: machine type not known to infergen")
    if region is None:
        return Priced(demand, cluster, region, basis, None, None,
                      f"no region for cluster `{cluster}`: set its region in the Platform "
                      "(clusters: [{name, region}]) or pricing.region")
    if basis == "reservation":
        return Priced(demand, cluster, region, basis, 0.0, 0.0)
    rate = prices.rate(demand.machine, region)
    if rate is None:
        why = prices.unpriced.get(demand.machine) or \
            f"no list price for {demand.machine} in {region}"
        return Priced(demand, cluster, region, basis, None, None, why)
    hourly = {"spot": rate.spot, "flex-start": rate.flex_start or rate.on_demand}.get(
        basis, rate.on_demand) * (1 - discount)
    return Priced(demand, cluster, region, basis, _hourly(demand, hourly, demand.min_replicas),
                  _hourly(demand, hourly, demand.max_replicas))


def price_all(platform: Platform, plans: list[Plan], catalog: Catalog,
              prices: Prices) -> list[Priced]:
    lines = []
    for plan in plans:
        demand = demand_of(plan, catalog)
        for cluster in demand.clusters:
            region = region_of(cluster, plan.environment, platform)
            lines.append(price(demand, cluster, region, prices, platform.discount,
                               plan.environment.target))
    return lines


def standing(lines: list[Priced]) -> Standing:
    total = Standing()
    low: dict[str, float] = defaultdict(float)
    high: dict[str, float] = defaultdict(float)
    notes = set()
    for line in lines:
        if line.demand.kind != "none":
            low[line.demand.accelerator] += line.accelerators_min
            high[line.demand.accelerator] += line.accelerators_max
        if line.hourly_min is None or line.hourly_max is None:
            notes.add(f"not priced (left out of the totals): `{line.demand.key}`: {line.why}")
            total.unpriced += 1
            if line.demand.kind != "none":
                total.unpriced_types.add(line.demand.accelerator)
            continue
        total.priced += 1
        total.hourly_min += line.hourly_min
        total.hourly_max += line.hourly_max
        if line.basis == "reservation":
            notes.add(RESERVATION_NOTE)
        elif line.basis == "flex-start":
            notes.add(FLEX_NOTE)
        if len(line.demand.provisioning) > 1:
            rest = ", then ".join(line.demand.provisioning[1:])
            notes.add(f"`{line.demand.key}` priced as {line.basis}, its first choice "
                      f"(then {rest} when {line.basis} has no capacity)")
    total.accelerators_min = dict(sorted(low.items()))
    total.accelerators_max = dict(sorted(high.items()))
    total.notes = sorted(notes)
    return total


def by_environment(lines: list[Priced]) -> dict[str, list[Priced]]:
    grouped: dict[str, list[Priced]] = defaultdict(list)
    for line in lines:
        grouped[line.demand.environment].append(line)
    return dict(sorted(grouped.items()))


# ------------------------------------------------------------------ printing figures

def count(value: float) -> str:
    return str(int(value)) if value == int(value) else f"{value:.2f}".rstrip("0")


def accelerators(counts: dict[str, float]) -> str:
    return ", ".join(f"{name} ×{count(n)}" for name, n in counts.items() if n) or "none"


def money(value: float, signed: bool = False) -> str:
    sign = ("+" if value > 0 else "−" if value < 0 else "±") if signed else \
        ("−" if value < 0 else "")
    return f"{sign}${abs(value):,.2f}"


def sources_used(prices: Prices, lines: Sequence[Priced]) -> list[Source]:
    """The price lists the priced lines' rates come from (the main one when none is)."""
    return prices.sources_of(line.demand.machine for line in lines
                             if line.hourly_min is not None and line.demand.machine)


def label(prices: Prices, discount: float, lines: Sequence[Priced] = ()) -> str:
    """What every figure is: a list-price estimate, and the source and date of the list
    prices the priced lines use (each pinned to a commit)."""
    off = f", less pricing.discount {discount:.0%}" if discount else ""
    used = sources_used(prices, lines)
    if len(used) == 1:
        dates, source = used[0].dated, f"source: {used[0].url}"
    else:
        dates = " and ".join(s.dated for s in used)
        source = "sources: " + "; ".join(f"{s.url} ({s.covers}, {s.dated})" for s in used)
    return (f"List-price estimate ({prices.currency}, list prices of {dates}{off}; "
            f"{prices.hours_per_month} h/month; {source}). Included: "
            f"{INCLUDED}. Not included: {EXCLUDED}.")
