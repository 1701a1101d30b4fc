"""Dashboards stay the same size whatever the fleet's: at 10,000 models every dashboard is
under Cloud Monitoring's widget limit, and a dashboard over it is reported as an infergen
bug (verify, exit 3)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from generator import catalog, objects, pipeline
from generator.objects import dashboards
from generator.output.publish import exit_code
from tests.conftest import CASES, ROOT


def _example_rows(monkeypatch: pytest.MonkeyPatch) -> tuple[Any, list[objects.Member]]:
    """The example fleet's platform and members (each model's dashboard row)."""
    seen: list[tuple[Any, list[objects.Member]]] = []
    real = pipeline.dashboard_items
    monkeypatch.setattr(pipeline, "dashboard_items",
                        lambda platform, members, data: seen.append((platform, members))
                        or real(platform, members, data))
    outcome = pipeline.compile_specs([ROOT / "specs"], "rendered", catalog.load())
    assert outcome.tree is not None and seen
    return seen[0]


def test_every_dashboard_is_under_the_limit_at_10000_models(
        monkeypatch: pytest.MonkeyPatch) -> None:
    platform, members = _example_rows(monkeypatch)
    data = catalog.load()
    limit = data.observability.dashboards.max_widgets
    env = next(e for e in platform.environments if e.target == "gke")
    real = [json.loads(m.charts) for m in members if m.charts and m.environment == env.name]
    assert len({r["engine"] for r in real}) >= 3  # several engines' series
    rows = [(f"team-{i % 50}", f"model-{i}", {**real[i % len(real)],
                                               "namespace": f"team-{i % 50}"})
            for i in range(10_000)]
    sizes = {}
    for board in dashboards.BOARDS:
        built = dashboards.dashboard_of(env, platform.name, rows, data, board)
        assert built is not None
        sizes[board] = (dashboards.widgets(built), len(json.dumps(built)))
    assert all(count <= limit // 5 for count, _ in sizes.values()), sizes  # well under
    small = dashboards.dashboard_of(env, platform.name, rows[:len(real)], data, "models")
    assert small is not None
    assert dashboards.widgets(small) == sizes["models"][0]  # the same size at any count


def test_a_dashboard_over_the_limit_is_an_infergen_bug(monkeypatch: pytest.MonkeyPatch) -> None:
    limit = catalog.load().observability.dashboards.max_widgets
    real = dashboards.dashboard_of

    def padded(*args: Any) -> dict[str, Any] | None:
        board = real(*args)
        if board is not None:
            tiles = board["mosaicLayout"]["tiles"]
            tiles += [tiles[0]] * (limit + 1 - len(tiles))
        return board

    monkeypatch.setattr(dashboards, "dashboard_of", padded)
    message = f"has {limit + 1} widgets; Cloud Monitoring takes at most {limit} on a dashboard"
    outcome = pipeline.compile_specs([ROOT / "specs"], "rendered", catalog.load())
    assert outcome.bug and exit_code(outcome) == 3  # type: ignore[arg-type]
    assert sorted(d.file for d in outcome.diagnostics if message in d.message) == [
        "rendered/dashboards/dev.fleet.yaml", "rendered/dashboards/dev.yaml",
        "rendered/prod/infergen-gcp/monitoringdashboard-fleet.yaml",
        "rendered/prod/infergen-gcp/monitoringdashboard-models.yaml"]
    # the same bug in a Config Connector environment's MonitoringDashboards
    synced = pipeline.compile_specs([CASES / "config-connector" / "specs"], "rendered",
                                    catalog.load())
    assert synced.bug and exit_code(synced) == 3  # type: ignore[arg-type]
    assert sorted(d.file for d in synced.diagnostics if message in d.message) == [
        "rendered/dashboards/dev.fleet.yaml", "rendered/dashboards/dev.yaml",
        "rendered/prod/infergen-gcp/monitoringdashboard-fleet.yaml",
        "rendered/prod/infergen-gcp/monitoringdashboard-models.yaml"]


def test_the_examples_write_two_dashboards_per_gke_environment() -> None:
    # dev's as files for gcloud; prod declares Config Connector, so its own are synced
    names = sorted(p.name for p in (ROOT / "rendered" / "dashboards").iterdir())
    assert names == ["dev.fleet.yaml", "dev.yaml"]
    synced = sorted(p.name for p in (ROOT / "rendered" / "prod" / "infergen-gcp").iterdir()
                    if p.name.startswith("monitoringdashboard-"))
    assert synced == ["monitoringdashboard-fleet.yaml", "monitoringdashboard-models.yaml"]
