"""A plan's facts (shape, engine, model source) are worked out once, at resolve, and are
what the checks and the builders read."""

from __future__ import annotations

import pytest

from generator import catalog
from generator.checks import check_plan
from generator.plan import model_source
from generator.plan.engine import engine_for
from generator.plan.shape import shape_of
from tests.errorcases import MODEL, PLATFORM
from tests.plan.test_resolve import plans


def test_a_valid_plan_has_every_fact() -> None:
    plan = plans(PLATFORM, MODEL)["dev"]
    facts = plan.facts
    assert facts.shape == shape_of(plan.spec["accelerator"], catalog.load())
    assert facts.engine == engine_for(plan.spec, catalog.load())
    assert facts.source == model_source.HuggingFace("org/m", None)
    assert facts.shape_error is None
    assert (facts.checked_shape, facts.checked_engine, facts.checked_source) \
        == (facts.shape, facts.engine, facts.source)


def test_a_shape_gke_cannot_offer_is_an_error_fact_reported_once() -> None:
    plan = plans(PLATFORM, MODEL.replace("type: nvidia-l4", "type: nvidia-l4\n    count: 3"))
    facts = plan["dev"].facts
    assert facts.shape is None and facts.shape_error is not None
    found = [d for d in check_plan(plan["dev"], catalog.load())
             if d.message == facts.shape_error.message]
    assert len(found) == 1 and found[0].path == "spec.accelerator.count"
    with pytest.raises(AssertionError, match="checked before use"):
        _ = facts.checked_shape


def test_a_source_that_does_not_parse_is_none() -> None:
    plan = plans(PLATFORM, MODEL.replace("hf://org/m", "ftp://x/m"))["dev"]
    assert plan.facts.source is None
    with pytest.raises(AssertionError, match="checked before use"):
        _ = plan.facts.checked_source
