"""Resolve's precedence, lowest first: defaults (schema, then catalog) -> the environment's
defaults (Platform) -> the spec -> the spec's override for that environment. Each merged
value also remembers the layer that set it, so a diagnostic points at that line."""

from __future__ import annotations

import pytest

from generator import catalog
from generator.plan.records import Plan
from generator.plan.resolve import plans_for, platform_from
from generator.spec.load import parse_file
from tests.errorcases import MODEL, PLATFORM


def plans(platform_text: str, model_text: str) -> dict[str, Plan]:
    (platform_source,), _ = parse_file(platform_text.encode(), "p.yaml", "p.yaml")
    (model_source,), _ = parse_file(model_text.encode(), "m.yaml", "m.yaml")
    platform = platform_from(platform_source)
    return {p.environment.name: p for p in plans_for(model_source, platform, catalog.load())}


def platform_with_dev_defaults(max_replicas: int | None) -> str:
    if max_replicas is None:
        return PLATFORM
    return PLATFORM.replace("      clusters: [dev-1]\n", "      clusters: [dev-1]\n"
                            f"      defaults:\n        scaling:\n"
                            f"          maxReplicas: {max_replicas}\n")


def model_with(spec_value: int | None, dev_override: int | None) -> str:
    text = MODEL
    if spec_value is not None:
        text += f"  scaling:\n    maxReplicas: {spec_value}\n"
    if dev_override is not None:
        text += f"  environments:\n    dev:\n      scaling:\n        maxReplicas: {dev_override}\n"
    return text


# (environment default, spec, dev override) -> (dev value, dev line, prod value, prod line)
# A line of None means the value is a default: it is located at the spec's own section.
PRECEDENCE = [
    ((None, None, None), (1, -1, 1, -1)),   # catalog default: max(minReplicas, 1)
    ((4, None, None), (4, 0, 1, -1)),       # the dev environment's default
    ((4, 6, None), (6, 1, 6, 0)),           # the spec wins over the environment default
    ((None, 6, None), (6, 0, 6, 0)),
    ((4, 6, 8), (8, 2, 6, 0)),              # the override wins, in its environment only
    ((None, None, 8), (8, 1, 1, -1)),
]


@pytest.mark.parametrize(("given", "expected"), PRECEDENCE)
def test_the_highest_layer_that_sets_a_value_wins(
        given: tuple[int | None, int | None, int | None],
        expected: tuple[int, int, int, int]) -> None:
    env_default, spec_value, override = given
    found = plans(platform_with_dev_defaults(env_default), model_with(spec_value, override))
    dev, prod = found["dev"], found["prod"]
    assert (dev.spec["scaling"]["maxReplicas"], dev.layer_of("scaling", "maxReplicas"),
            prod.spec["scaling"]["maxReplicas"], prod.layer_of("scaling", "maxReplicas")) \
        == expected


def test_a_value_is_located_at_the_layer_that_set_it() -> None:
    found = plans(platform_with_dev_defaults(4), model_with(6, 8))
    assert found["dev"].locate("scaling", "maxReplicas").file == "m.yaml"
    assert found["dev"].locate("scaling", "maxReplicas").path \
        == "spec.environments.dev.scaling.maxReplicas"
    only_default = plans(platform_with_dev_defaults(4), MODEL)["dev"]
    at = only_default.locate("scaling", "maxReplicas")
    assert (at.file, at.path) == ("p.yaml", "spec.environments[0].defaults.scaling.maxReplicas")
