"""`infergen cost`: the standing capacity and list price of the whole tree, per environment
and namespace, for a monthly review: as text, Markdown or JSON. Pure: priced lines in
(commands/pricing.py), a report out."""

from __future__ import annotations

import json
from collections import defaultdict
from typing import Any

from generator.catalog.prices import Prices
from generator.commands.pricing import (
    Priced,
    Standing,
    accelerators,
    by_environment,
    label,
    money,
    sources_used,
    standing,
)
from generator.plan.records import Platform


def _totals(group: Standing, hours: int) -> dict[str, Any]:
    """`complete`: every model of the group is in the figures (else see the notes)."""
    return {"accelerators": {"min": group.accelerators_min, "max": group.accelerators_max},
            "complete": group.unpriced == 0, "priced": group.priced > 0,
            "hourly": {"min": round(group.hourly_min, 2), "max": round(group.hourly_max, 2)},
            "monthly": {"min": round(group.hourly_min * hours, 2),
                        "max": round(group.hourly_max * hours, 2)}}


def report(platform: Platform, lines: list[Priced], prices: Prices) -> dict[str, Any]:
    hours = prices.hours_per_month
    environments = {}
    for env, env_lines in by_environment(lines).items():
        namespaces: dict[str, list[Priced]] = defaultdict(list)
        for line in env_lines:
            namespaces[line.demand.namespace].append(line)
        whole = standing(env_lines)
        environments[env] = {
            **_totals(whole, hours),
            "namespaces": {ns: _totals(standing(group), hours)
                           for ns, group in sorted(namespaces.items())},
            "notes": whole.notes}
    used = sources_used(prices, lines)
    return {"label": label(prices, platform.discount, lines),
            "sources": [{"url": s.url, "commit": s.commit, "date": s.date, "read": s.read}
                        for s in used],
            "date": min(s.date for s in used), "currency": prices.currency,
            "environments": environments}


def as_json(data: dict[str, Any]) -> str:
    return json.dumps(data, indent=2)


def _rows(data: dict[str, Any]) -> list[list[str]]:
    rows = []
    for env, section in data["environments"].items():
        named = [(f"{env}", section)] + [(f"{env}/{ns}", group)
                                         for ns, group in section["namespaces"].items()]
        for name, group in named:
            acc, hourly, monthly = group["accelerators"], group["hourly"], group["monthly"]
            rows.append([name, accelerators(acc["min"]), accelerators(acc["max"]),
                         *(_figure(value, group) for value in (
                             hourly["min"], hourly["max"], monthly["min"], monthly["max"]))])
    return rows


def _figure(value: float, group: dict[str, Any]) -> str:
    """A figure, "not priced", or a figure marked partial (a model of it is not priced)."""
    if not group["priced"]:
        return "not priced"
    return money(value) + ("" if group["complete"] else " (partial)")


HEADER = ["environment/namespace", "accelerators at min", "accelerators at max",
          "per hour at min", "per hour at max", "per month at min", "per month at max"]


def _notes(data: dict[str, Any]) -> list[str]:
    return [f"{env}: {note}" for env, section in data["environments"].items()
            for note in section["notes"]]


def markdown(data: dict[str, Any]) -> str:
    lines = ["## infergen cost", "", f"_{data['label']}_", "",
             "| " + " | ".join(HEADER) + " |", "|" + "---|" * len(HEADER)]
    lines += ["| " + " | ".join(row) + " |" for row in _rows(data)]
    notes = _notes(data)
    return "\n".join(lines + ([""] + [f"- {n}" for n in notes] if notes else [])) + "\n"


def text(data: dict[str, Any]) -> str:
    rows = [HEADER, *_rows(data)]
    widths = [max(len(row[i]) for row in rows) for i in range(len(HEADER))]
    lines = ["  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip()
             for row in rows]
    return "\n".join([data["label"], "", *lines, *("", *_notes(data))]) + "\n"
