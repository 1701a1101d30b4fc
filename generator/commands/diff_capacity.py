"""The capacity and list-price section of `infergen diff`: per environment, accelerators and
list price at minReplicas and at maxReplicas, before -> after, the models that change them,
and the RISK lines (a peak that rises past diff.costRiskPercent, a new accelerator type).

Pure: the priced lines of the base and of the change in (commands/pricing.py), plain data
out (the JSON `capacity` key), and its Markdown."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from generator.catalog.prices import Prices
from generator.commands.pricing import (
    Priced,
    Standing,
    by_environment,
    count,
    label,
    money,
    standing,
)
from generator.plan.records import Platform


def _model(lines: list[Priced]) -> dict[str, Any]:
    """A model's lines (one per cluster) as one row."""
    first = lines[0].demand
    machine = f" ({first.machine})" if first.machine else ""
    share = f", {first.share:.2g} of a GPU" if first.share < 1 else ""
    per_replica = "none" if first.kind == "none" else f"{first.accelerator} ×{first.devices}"
    priced = all(line.hourly_min is not None for line in lines)
    return {
        "shape": f"{per_replica}{machine}{share}, {'/'.join(first.provisioning)}",
        "replicas": [first.min_replicas, first.max_replicas],
        "clusters": len(lines),
        "hourlyMin": round(sum(line.hourly_min or 0.0 for line in lines), 2) if priced else None,
        "hourlyMax": round(sum(line.hourly_max or 0.0 for line in lines), 2) if priced else None,
    }


def _models(lines: list[Priced]) -> dict[str, dict[str, Any]]:
    grouped: dict[str, list[Priced]] = defaultdict(list)
    for line in lines:
        grouped[line.demand.key].append(line)
    return {key: _model(group) for key, group in sorted(grouped.items())}


def _pair(before: float, after: float, hours: int = 1) -> dict[str, float]:
    return {"before": round(before * hours, 2), "after": round(after * hours, 2),
            "change": round((after - before) * hours, 2)}


def _risks(env: str, was: Standing, now: Standing, percent: float) -> list[str]:
    risks = []
    if now.hourly_max > was.hourly_max and (
            was.hourly_max == 0 or (now.hourly_max - was.hourly_max) / was.hourly_max * 100
            > percent):
        rise = ("from nothing" if was.hourly_max == 0 else
                f"{(now.hourly_max - was.hourly_max) / was.hourly_max:.0%}")
        risks.append(f"`{env}`'s list price at maxReplicas rises {rise} "
                     f"({money(was.hourly_max)} → {money(now.hourly_max)} per hour), more than "
                     f"diff.costRiskPercent ({percent:g}%)")
    for name in sorted(now.unpriced_types & set(was.accelerators_max)):
        old, new = was.accelerators_max[name], now.accelerators_max.get(name, 0)
        if old and (new - old) / old * 100 > percent:  # no price to watch: watch the count
            risks.append(f"`{env}`'s {name} at maxReplicas rises {(new - old) / old:.0%} "
                         f"({count(old)} → {count(new)}), more than diff.costRiskPercent "
                         f"({percent:g}%); it has no list price, so the price above leaves "
                         "it out")
    for name in sorted(set(now.accelerators_max) - set(was.accelerators_max)):
        risks.append(f"`{env}` uses a new accelerator type, {name} (×"
                     f"{now.accelerators_max[name]:g} at maxReplicas): check the GPU/TPU "
                     "quota of its project in every region of its clusters")
    return risks


def compare(before: list[Priced], after: list[Priced], platform: Platform,
            prices: Prices) -> dict[str, dict[str, Any]]:
    """Each environment whose capacity or price changes -> its section, as plain data."""
    old, new = by_environment(before), by_environment(after)
    sections = {}
    for env in sorted(set(old) | set(new)):
        was_models, now_models = _models(old.get(env, [])), _models(new.get(env, []))
        changed = {key: {"before": was_models.get(key), "after": now_models.get(key)}
                   for key in sorted(set(was_models) | set(now_models))
                   if was_models.get(key) != now_models.get(key)}
        if not changed:
            continue
        was, now = standing(old.get(env, [])), standing(new.get(env, []))
        hours = prices.hours_per_month
        sections[env] = {
            "label": label(prices, platform.discount, old.get(env, []) + new.get(env, [])),
            "accelerators": {
                "min": {"before": was.accelerators_min, "after": now.accelerators_min},
                "max": {"before": was.accelerators_max, "after": now.accelerators_max}},
            "hourly": {"min": _pair(was.hourly_min, now.hourly_min),
                       "max": _pair(was.hourly_max, now.hourly_max)},
            "monthly": {"min": _pair(was.hourly_min, now.hourly_min, hours),
                        "max": _pair(was.hourly_max, now.hourly_max, hours)},
            "models": changed,
            "complete": was.unpriced == 0 and now.unpriced == 0,
            "notes": now.notes,
            "risks": _risks(env, was, now, platform.cost_risk_percent),
        }
    return sections


# ------------------------------------------------------------------ Markdown

def _change(pair: dict[str, float]) -> str:
    return (f"{money(pair['before'])} → {money(pair['after'])} "
            f"({money(pair['change'], signed=True)})")


def _row_price(model: dict[str, Any] | None, key: str) -> str:
    if model is None:
        return "—"
    value = model[key]
    return "not priced" if value is None else money(value)


def _model_side(model: dict[str, Any] | None) -> str:
    if model is None:
        return "—"
    low, high = model["replicas"]
    clusters = f" on {model['clusters']} clusters" if model["clusters"] > 1 else ""
    return f"{model['shape']}, {low}–{high} replicas{clusters}"


def _count_change(pair: dict[str, dict[str, float]], name: str) -> str:
    before, after = pair["before"].get(name, 0), pair["after"].get(name, 0)
    return f"{count(before)} → {count(after)}" if before != after else count(after)


def markdown(env: str, section: dict[str, Any]) -> list[str]:
    acc, hourly, monthly = section["accelerators"], section["hourly"], section["monthly"]
    names = sorted({n for side in ("min", "max") for when in ("before", "after")
                    for n in acc[side][when]})
    lines = [f"#### Capacity and list price: {env}", "", f"_{section['label']}_", "",
             "| | at minReplicas | at maxReplicas |", "|---|---|---|"]
    lines += [f"| {name} | {_count_change(acc['min'], name)} | "
              f"{_count_change(acc['max'], name)} |" for name in names]
    only = "" if section["complete"] else " (priced models only)"
    lines += [f"| per hour{only} | {_change(hourly['min'])} | {_change(hourly['max'])} |",
              f"| per month{only} | {_change(monthly['min'])} | {_change(monthly['max'])} |",
              "",
              "| model | before | after | per hour at min | per hour at max |",
              "|---|---|---|---|---|"]
    for key, pair in section["models"].items():
        was, now = pair["before"], pair["after"]
        lines.append(f"| `{key}` | {_model_side(was)} | {_model_side(now)} | "
                     f"{_row_price(was, 'hourlyMin')} → {_row_price(now, 'hourlyMin')} | "
                     f"{_row_price(was, 'hourlyMax')} → {_row_price(now, 'hourlyMax')} |")
    lines += [""] + [f"- {note}" for note in section["notes"]]
    return lines + ([""] if section["notes"] else [])
