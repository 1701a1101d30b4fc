"""The list prices (generator/catalog/prices.yaml): every accelerator infergen renders has
one, the extraction tool keeps what it should, and pricing a demand prices what it is
(on-demand, Spot, Flex Start, a reservation, a shared GPU, a TPU slice by chip-hour)."""

from __future__ import annotations

import dataclasses
import datetime
from typing import Any

import pytest

from generator import catalog
from generator.catalog import prices as price_data
from generator.commands.pricing import price
from generator.plan.capacity import Demand, region_of
from generator.plan.records import Environment, Platform
from tools import prices as tool

CATALOG = catalog.load()
PRICES = price_data.load()

# Accelerators the pinned source has no list price for, and why. Each is an expected
# failure (strict: pricing one makes its test pass, and then it must leave this list); a
# new accelerator without a price fails outright.
GAPS = {
    "nvidia-tesla-t4": "Cyclenerd's N1 rows price the VM without the T4s attached to it",
    "nvidia-h200-141gb": "no a3-ultragpu-8g row in the source",
    "nvidia-b200": "no a4-highgpu-8g row in the source",
    "nvidia-gb200": "no a4x-highgpu-4g row in the source",
    "tpu-v4": "the source has no TPU rows", "tpu-v5e": "the source has no TPU rows",
    "tpu-v5p": "the source has no TPU rows", "tpu-v6e": "the source has no TPU rows",
    "tpu7x": "the source has no TPU rows (and accelerators.yaml no tpu7x machine shapes)",
}
ACCELERATORS = sorted([*CATALOG.gpus, *CATALOG.tpus])


def _machines(name: str) -> list[str]:
    if name in CATALOG.gpus:
        return [m.type for m in CATALOG.gpus[name].machines]
    return [m.type for m in CATALOG.tpus[name].machines.values()]


@pytest.mark.parametrize("name", [
    pytest.param(n, marks=pytest.mark.xfail(strict=True, reason=GAPS[n])) if n in GAPS else n
    for n in ACCELERATORS])
def test_every_accelerator_infergen_renders_has_a_list_price(name: str) -> None:
    machines = _machines(name)
    assert machines, f"{name}: no machine type to price"
    for machine in machines:
        assert PRICES.machines.get(machine), f"{name}: {machine} has no list price"


def test_the_price_file_covers_exactly_the_catalog_machines() -> None:
    wanted = {m for name in ACCELERATORS for m in _machines(name)}
    assert set(PRICES.machines) | (set(PRICES.unpriced) & wanted) == wanted
    assert set(PRICES.unpriced) - wanted <= set(CATALOG.tpus)  # an accelerator with no shapes
    for regions in PRICES.machines.values():
        for rate in regions.values():
            assert 0 < rate.spot < rate.on_demand


def test_the_price_file_names_its_source_and_date() -> None:
    assert PRICES.source.startswith("https://github.com/Cyclenerd/")
    assert PRICES.commit in PRICES.source
    datetime.date.fromisoformat(PRICES.date)
    assert PRICES.currency == "USD" and PRICES.hours_per_month == 730


def test_staleness_after_six_months() -> None:
    dated = datetime.date.fromisoformat(PRICES.date)
    assert PRICES.staleness(dated + datetime.timedelta(days=150)) is None
    warning = PRICES.staleness(dated + datetime.timedelta(days=200))
    assert warning is not None and "200 days old" in warning and "tools/prices.py" in warning


# ------------------------------------------------------------------ the tool

SOURCE: dict[str, Any] = {
    "about": {"timestamp": 1785391997},  # 2026-07-30 06:13 UTC
    "compute": {"instance": {
        "g2-standard-4": {"l4": 1, "cpu": 4, "ram": 16, "cost": {
            "us-central1": {"hour": 0.7068322, "hour_spot": 0.397336, "month": 516}}},
        "n1-standard-4": {"cpu": 4, "ram": 15, "cost": {
            "us-central1": {"hour": 0.19, "hour_spot": 0.067}}},
    }},
}
ACCELERATORS_DATA = {
    "gpus": {"nvidia-l4": {"machines": [{"type": "g2-standard-4", "gpus": 1},
                                        {"type": "g2-standard-8", "gpus": 1}]},
             "nvidia-tesla-t4": {"machines": [{"type": "n1-standard-4", "gpus": 1}]}},
    "tpus": {"tpu7x": {"machines": {}}},
}


def test_the_tool_keeps_catalog_machines_and_names_what_it_cannot_price() -> None:
    out = tool.extract(SOURCE, ACCELERATORS_DATA, "abc123")
    assert out["date"] == "2026-07-30" and out["commit"] == "abc123"
    assert out["machines"] == {"g2-standard-4": {"us-central1": {"onDemand": 0.706832,
                                                                 "spot": 0.397336}}}
    assert out["unpriced"] == {
        "g2-standard-8": "nvidia-l4: not in the source price list",
        "n1-standard-4": "nvidia-tesla-t4: the source prices the VM without its 1 GPU(s)",
        "tpu7x": "no machine types in accelerators.yaml to price"}


# ------------------------------------------------------------------ pricing a demand

RATES = price_data.Prices("src", "c", "2026-07-30", "USD", 730, {
    "g2-standard-4": {"us-central1": price_data.Rate(1.0, 0.4)},
    "g2-standard-24": {"us-central1": price_data.Rate(4.0, 1.6, flex_start=2.0)},
    "ct6e-standard-4t": {"us-central1": price_data.Rate(10.8, 2.6)},
}, {})


def _demand(**changes: Any) -> Demand:
    base = Demand("prod", "llm", "m", "nvidia-l4", "gpu", 1, 1, 1.0, "g2-standard-4", 1,
                  ("on-demand",), 2, 5, ("prod-us-central1",))
    return dataclasses.replace(base, **changes)


@pytest.mark.parametrize(("changes", "low", "high"), [
    ({}, 2.0, 5.0),
    ({"provisioning": ("spot", "on-demand")}, 0.8, 2.0),
    ({"provisioning": ("flex-start",)}, 2.0, 5.0),  # no Flex Start rate: on-demand
    ({"provisioning": ("flex-start",), "machine": "g2-standard-24"}, 4.0, 10.0),
    ({"provisioning": ("reservation", "on-demand")}, 0.0, 0.0),
    ({"share": 0.25}, 0.5, 1.25),  # a GPU time-shared by 4 pods
    # a multi-node replica: two full VMs each
    ({"devices": 16, "hosts": 2, "machine": "g2-standard-24", "machine_devices": 8}, 16.0, 40.0),
    # a v6e 2x4 slice on two 4-chip hosts: 8 chip-hours at the VM's price over its 4 chips
    ({"kind": "tpu", "accelerator": "tpu-v6e", "devices": 8, "hosts": 2,
      "machine": "ct6e-standard-4t", "machine_devices": 4}, 43.2, 108.0),
])
def test_a_demand_is_priced_as_what_it_is(changes: dict[str, Any], low: float,
                                          high: float) -> None:
    priced = price(_demand(**changes), "prod-us-central1", "us-central1", RATES, 0.0)
    assert (priced.hourly_min, priced.hourly_max) == (pytest.approx(low), pytest.approx(high))


def test_discount_and_what_is_not_priced() -> None:
    assert price(_demand(), "c", "us-central1", RATES, 0.2).hourly_min == pytest.approx(1.6)
    assert price(_demand(), "c", None, RATES, 0.0).why.startswith("no region for cluster `c`")
    assert price(_demand(), "c", "asia-east1", RATES, 0.0).why == \
        "no list price for g2-standard-4 in asia-east1"
    assert "plain Kubernetes" in price(_demand(), "c", "us-central1", RATES, 0.0,
                                       "kubernetes").why
    assert price(_demand(kind="none", machine=None), "c", "us-central1", RATES,
                 0.0).hourly_min is None


def _platform(regions: tuple[tuple[str, str], ...], default: str | None) -> tuple[
        Environment, Platform]:
    env = Environment("prod", "gke", ("a", "prod-us-central1", "b"), None, None,
                      None, "hpa", "monitoring", regions=regions)  # type: ignore[arg-type]
    platform = Platform("p", "1.33", {}, (env,), None,  # type: ignore[arg-type]
                        pricing_region=default)
    return env, platform


@pytest.mark.parametrize(("cluster", "default", "region"), [
    ("a", None, "europe-west4"),              # set in the Platform
    ("prod-us-central1", None, "us-central1"),  # in the name
    ("gke-me-central2-x", None, "me-central2"),
    ("b", "us-east4", "us-east4"),            # pricing.region
    ("b", None, None),
    ("home-west1", None, None),               # not a region
])
def test_region_of_a_cluster(cluster: str, default: str | None, region: str | None) -> None:
    env, platform = _platform((("a", "europe-west4"),), default)
    assert region_of(cluster, env, platform) == region
