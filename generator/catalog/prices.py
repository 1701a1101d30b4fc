"""List prices (prices.yaml, extracted by tools/prices.py from a pinned public price list):
USD per hour per machine type and region, for `infergen diff` and `infergen cost`.

Kept out of Catalog: only the cost commands read it, and a render never does."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from functools import cache

from generator.catalog import read_data

STALE_DAYS = 183  # six months: the age past which the commands warn


@dataclass(frozen=True)
class Rate:
    on_demand: float
    spot: float
    flex_start: float | None = None  # only where it differs from on_demand


@dataclass(frozen=True)
class Prices:
    source: str
    commit: str
    date: str  # the source's own date, YYYY-MM-DD
    currency: str
    hours_per_month: int
    machines: dict[str, dict[str, Rate]]  # machine type -> region -> rate
    unpriced: dict[str, str]  # machine type (or accelerator) -> why it has no price

    def rate(self, machine: str, region: str) -> Rate | None:
        return self.machines.get(machine, {}).get(region)

    def age_days(self, today: datetime.date) -> int:
        return (today - datetime.date.fromisoformat(self.date)).days

    def staleness(self, today: datetime.date) -> str | None:
        """A warning when the prices are older than six months on `today`, else None."""
        days = self.age_days(today)
        if days <= STALE_DAYS:
            return None
        return (f"the list prices are {days} days old (dated {self.date}, from {self.source}): "
                "refresh generator/catalog/prices.yaml with tools/prices.py")

    @property
    def label(self) -> str:
        """How every figure is labelled."""
        return f"list-price estimate, {self.currency}, prices of {self.date}"


@cache
def load() -> Prices:
    data = read_data("prices.yaml")
    machines = {
        machine: {region: Rate(row["onDemand"], row["spot"], row.get("flexStart"))
                  for region, row in regions.items()}
        for machine, regions in data["machines"].items()}
    return Prices(data["source"], data["commit"], str(data["date"]), data["currency"],
                  data["hoursPerMonth"], machines, dict(data.get("unpriced") or {}))
