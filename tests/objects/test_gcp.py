"""An environment with Config Connector syncs its dashboards, log-based metrics and alert
policies from its root (tests/cases/config-connector): no dashboard file is left to apply by
hand, the objects pass Config Connector's pinned CRD schemas, and every fatal-line pattern
names where the engine prints it at the release its contract pins."""

from __future__ import annotations

import copy
import re

import pytest

from generator import catalog
from generator.catalog.engine_contracts import contract
from generator.output.layout import Rendered
from generator.spec.schema_store import crd_validator
from generator.spec.yamlio import load_plain
from generator.verify import check_item
from tests.conftest import CASES

CASE = CASES / "config-connector" / "expected"
GCP = CASE / "prod" / "infergen-gcp"


def _obj(name: str) -> dict[str, object]:
    found: dict[str, object] = load_plain((GCP / name).read_text())
    return found


def test_a_config_connector_environment_has_no_dashboard_to_apply_by_hand() -> None:
    assert sorted(p.name for p in (CASE / "dashboards").iterdir()) == ["dev.fleet.yaml",
                                                                     "dev.yaml"]
    listed = load_plain((CASE / "prod" / "kustomization.yaml").read_text())["resources"]
    assert {"infergen-gcp/monitoringdashboard-models.yaml",
            "infergen-gcp/monitoringdashboard-fleet.yaml",
            "infergen-gcp/logginglogmetric-vllm.yaml",
            "infergen-gcp/monitoringalertpolicy-vllm.yaml",
            "namespaces/infergen-gcp.yaml"} <= set(listed)
    namespace = load_plain((CASE / "prod" / "namespaces" / "infergen-gcp.yaml").read_text())
    assert namespace["metadata"]["annotations"] == {
        "cnrm.cloud.google.com/project-id": "acme-ml-prod"}


def test_only_the_first_cluster_owns_the_google_cloud_resources() -> None:
    for path in GCP.iterdir():
        meta = load_plain(path.read_text())["metadata"]
        assert meta["annotations"] == {"configsync.gke.io/cluster-name-selector": "prod-1"}


def test_the_log_metric_counts_every_fatal_line_of_the_engine() -> None:
    metric = _obj("logginglogmetric-vllm.yaml")
    spec = metric["spec"]
    assert isinstance(spec, dict)
    for signal in catalog.load().engines["vllm"].log_signals:
        assert f'"{signal.match}"' in spec["filter"]
        assert re.search(spec["labelExtractors"]["reason"].split('"')[1], signal.match)
    assert 'NOT labels."k8s-pod/infergen_dev/log-alerts"="false"' in spec["filter"]
    policy = _obj("monitoringalertpolicy-vllm.yaml")
    text = str(policy["spec"])
    assert "logging.googleapis.com/user/infergen-prod-vllm-fatal-logs" in text
    assert "${metric.label.model}" in text and "environment prod" in text


def test_an_opted_out_model_is_left_out_of_the_log_metrics() -> None:
    # the only TGI model opted out: no TGI metric; its pods carry the label the filter skips
    assert not (GCP / "logginglogmetric-tgi.yaml").exists()
    pods = load_plain((CASE / "prod/llm/summarizer/deployment.yaml").read_text())
    assert pods["spec"]["template"]["metadata"]["labels"]["infergen.dev/log-alerts"] == "false"
    chat = load_plain((CASE / "prod/llm/chat/deployment.yaml").read_text())
    assert "infergen.dev/log-alerts" not in chat["spec"]["template"]["metadata"]["labels"]


@pytest.mark.parametrize("engine", sorted(n for n, e in catalog.load().engines.items()
                                          if e.log_signals))
def test_each_fatal_line_names_its_source_at_the_pinned_release(engine: str) -> None:
    pinned = contract(engine)
    assert pinned is not None
    for signal in catalog.load().engines[engine].log_signals:
        own = f"@{pinned.version}" in signal.source
        runtime = signal.source.startswith("pytorch/pytorch ")  # printed by PyTorch itself
        assert own or runtime, (engine, signal)
        if own:
            assert re.search(r"\.py L\d+ @", signal.source), signal.source


@pytest.mark.parametrize(("name", "damage"), [
    ("monitoringdashboard-models.yaml", lambda o: o["spec"].update(mosaicLayuot={})),
    ("monitoringdashboard-models.yaml", lambda o: o["spec"].pop("projectRef")),
    ("logginglogmetric-vllm.yaml", lambda o: o["spec"]["metricDescriptor"].update(kind="x")),
    ("monitoringalertpolicy-vllm.yaml",
     lambda o: o["spec"]["conditions"][0]["conditionThreshold"].update(treshold=0)),
])
def test_the_pinned_crd_schemas_refuse_a_misspelt_field(name: str, damage: object) -> None:
    obj = _obj(name)
    validator = crd_validator(str(obj["apiVersion"]), str(obj["kind"]))
    assert validator is not None and list(validator.iter_errors(obj)) == []
    broken = copy.deepcopy(obj)
    damage(broken)  # type: ignore[operator]
    assert list(validator.iter_errors(broken))
    assert check_item(Rendered(f"prod/infergen-gcp/{name}", broken, ("x.yaml",)), "1.33",
                      "rendered")
