"""List prices (prices.yaml, extracted by tools/prices.py from pinned public price lists):
USD per hour per machine type and region, for `infergen diff` and `infergen cost`.

Kept out of Catalog: only the cost commands read it, and a render never does."""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cache

from generator.catalog import read_data

STALE_DAYS = 183  # six months: the age past which the commands warn


@dataclass(frozen=True)
class Rate:
    on_demand: float
    spot: float
    flex_start: float | None = None  # only where it differs from on_demand


@dataclass(frozen=True)
class Source:
    """One public price list, pinned to a commit."""

    url: str  # the file at its commit
    commit: str
    date: str  # YYYY-MM-DD: the list's own date, or the day it was read (`read`)
    read: bool = False  # the file carries no date of its own
    covers: str = ""  # what prices.yaml takes from it

    @property
    def dated(self) -> str:
        return f"read {self.date}" if self.read else self.date


@dataclass(frozen=True)
class Prices:
    sources: dict[str, Source]  # by name; the first is the main one
    currency: str
    hours_per_month: int
    machines: dict[str, dict[str, Rate]]  # machine type -> region -> rate
    unpriced: dict[str, str]  # machine type (or accelerator) -> why it has no price
    # machine type -> the sources its rates come from (unlisted: the main source alone)
    machine_sources: dict[str, tuple[str, ...]] = field(default_factory=dict)

    def rate(self, machine: str, region: str) -> Rate | None:
        return self.machines.get(machine, {}).get(region)

    @property
    def main(self) -> Source:
        return next(iter(self.sources.values()))

    def sources_of(self, machines: Iterable[str]) -> list[Source]:
        """The sources the rates of these machine types come from, in file order (the
        main source when none is priced)."""
        names = {name for machine in machines
                 for name in self.machine_sources.get(machine, (next(iter(self.sources)),))}
        return [s for n, s in self.sources.items() if n in names] or [self.main]

    @property
    def date(self) -> str:
        """The oldest source date: what the age of the prices is measured from."""
        return min(s.date for s in self.sources.values())

    def age_days(self, today: datetime.date) -> int:
        return (today - datetime.date.fromisoformat(self.date)).days

    def staleness(self, today: datetime.date) -> str | None:
        """A warning when the prices are older than six months on `today`, else None."""
        days = self.age_days(today)
        if days <= STALE_DAYS:
            return None
        oldest = next(s for s in self.sources.values() if s.date == self.date)
        return (f"the list prices are {days} days old (dated {self.date}, from {oldest.url}): "
                "refresh generator/catalog/prices.yaml with tools/prices.py")


@cache
def load() -> Prices:
    data = read_data("prices.yaml")
    sources = {name: Source(s["url"], s["commit"], str(s["date"]), s.get("read", False),
                            s.get("covers", ""))
               for name, s in data["sources"].items()}
    machines = {
        machine: {region: Rate(row["onDemand"], row["spot"], row.get("flexStart"))
                  for region, row in regions.items()}
        for machine, regions in data["machines"].items()}
    return Prices(sources, data["currency"], data["hoursPerMonth"], machines,
                  dict(data.get("unpriced") or {}),
                  {m: tuple(names) for m, names in (data.get("machineSources") or {}).items()})
