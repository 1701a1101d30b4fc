"""Error paths of the check step (generator/checks.py): specs that are schema-valid but
wrong across fields, files or environments.

MODEL (tests/errorcases.py) is 9 lines long, so text appended to it starts on line 10.
PLATFORM has `dev` (clusters [dev-1], line 9) and `prod` (clusters [prod-1], line 11).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.errorcases import (
    MODEL,
    PLATFORM,
    assert_fails,
    assert_one_line_each,
    render,
    unsized,
)

SOON = "is not supported yet by this version of infergen"
NO_MODELS = ("environment {!r} has no models (hint: Config Sync removes everything it synced "
             "from an empty root)")


def _model(old: str, new: str) -> str:
    assert old in MODEL, old
    return MODEL.replace(old, new)


def _platform(old: str, new: str) -> str:
    assert old in PLATFORM, old
    return PLATFORM.replace(old, new)


def _with_defaults(env_line: str, defaults: str) -> str:
    """PLATFORM with `defaults:` (indented YAML text) under the environment `env_line`."""
    return _platform(env_line, env_line + "      defaults:\n" + defaults)


# ------------------------------------------------------------------- Platform rules

PLATFORM_CASES = [
    pytest.param(
        _platform("name: prod", "name: dev"),
        ["specs/platform.yaml:11:13: error[check] spec.environments[1].name: environment 'dev' "
         "is defined twice"],
        id="duplicate-environment"),
    pytest.param(
        _platform("name: prod", "name: bootstrap"),
        ["specs/platform.yaml:11:13: error[check] spec.environments[1].name: environment name "
         "'bootstrap' is reserved (hint: rendered/bootstrap holds the clusters' RootSyncs and "
         "rendered/dashboards their dashboards)"],
        id="environment-named-bootstrap"),
    pytest.param(
        _platform("[prod-1]", "[prod-1, dev-1]"),
        ["specs/platform.yaml:12:26: error[check] spec.environments[1].clusters[1]: cluster "
         "'dev-1' is already in environment 'dev' (hint: a cluster syncs exactly one "
         "environment root)"],
        id="cluster-in-two-environments"),
    pytest.param(
        _platform("[prod-1]", "[prod-1, {name: prod-1, region: us-east4}]"),
        ["specs/platform.yaml:12:26: error[check] spec.environments[1].clusters[1]: cluster "
         "'prod-1' is listed twice in environment 'prod'"],
        id="cluster-twice-in-one-environment"),
    pytest.param(
        _platform("      clusters: [prod-1]\n", "      clusters: [prod-1]\n      target: kubernetes"
                  "\n      configConnector: {project: acme-ml-prod}\n"),
        ["specs/platform.yaml:14:24: error[check] spec.environments[1].configConnector: "
         "configConnector renders Cloud Monitoring and Cloud Logging objects, which a target: "
         "kubernetes environment does not have (hint: remove configConnector, or make the "
         "environment target: gke)"],
        id="config-connector-on-a-portable-environment"),
    pytest.param(
        _platform("    repo: https://example.com/config.git\n",
                  "    repo: https://example.com/config.git\n    auth: gcpserviceaccount\n"),
        ["specs/platform.yaml:8:11: error[check] spec.configSync.auth: auth gcpserviceaccount "
         "needs configSync.gcpServiceAccountEmail"],
        id="gcpserviceaccount-without-email"),
    pytest.param(
        _platform("    repo: https://example.com/config.git\n",
                  "    repo: https://example.com/config.git\n    secretRef: git-creds\n"),
        ["specs/platform.yaml:8:16: error[check] spec.configSync.secretRef: secretRef is only "
         "used with auth token or ssh, not none"],
        id="secretRef-without-token-or-ssh"),
    pytest.param(
        _platform("    repo: https://example.com/config.git\n",
                  "    repo: https://example.com/config.git\n"
                  "    gcpServiceAccountEmail: sync@p.iam.gserviceaccount.com\n"),
        ["specs/platform.yaml:8:29: error[check] spec.configSync.gcpServiceAccountEmail: "
         "gcpServiceAccountEmail is only used with auth gcpserviceaccount"],
        id="email-without-gcpserviceaccount"),
]


@pytest.mark.parametrize(("platform", "expected"), PLATFORM_CASES)
def test_platform_rule(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, platform: str,
                       expected: list[str]) -> None:
    run = render(tmp_path, monkeypatch, {"platform.yaml": platform, "m.yaml": MODEL})
    assert_fails(run, expected)


def test_no_platform(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    run = render(tmp_path, monkeypatch, {"m.yaml": MODEL}, platform=None)
    assert_fails(run, ["specs: error[check] no Platform found (hint: add "
                       "specs/platform.yaml with `kind: Platform`)"])


def test_two_platforms(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    run = render(tmp_path, monkeypatch, {
        "m.yaml": MODEL, "other.yaml": _platform("name: acme", "name: other")})
    assert_fails(run, ["specs/platform.yaml:2:7: error[check] kind: a second Platform (the "
                       "first is specs/other.yaml) (hint: keep one)"])


# ------------------------------------------------------------------- model rules

MODEL_CASES = [
    # --- environments named by a model
    pytest.param(
        MODEL + "  deployTo: [prd]\n",
        ["specs/m.yaml:10:14: error[check] spec.deployTo[0]: environment 'prd' is not in the "
         "Platform (known: dev, prod) (hint: did you mean 'prod'?)"],
        id="deployTo-unknown-did-you-mean"),
    pytest.param(
        MODEL + "  deployTo: [dev, staging]\n",
        ["specs/m.yaml:10:19: error[check] spec.deployTo[1]: environment 'staging' is not in "
         "the Platform (known: dev, prod)"],
        id="deployTo-unknown-no-hint"),
    pytest.param(
        MODEL + "  environments:\n    prd:\n      scaling: {maxReplicas: 2}\n",
        ["specs/m.yaml:11:5: error[check] spec.environments.prd: environment 'prd' is not in "
         "the Platform (known: dev, prod) (hint: did you mean 'prod'?)"],
        id="override-for-unknown-environment"),
    # --- labels
    pytest.param(
        _model("  name: m\n", "  name: m\n  labels:\n    app.kubernetes.io/name: x\n"
               "    configsync.gke.io/x: y\n"),
        ["specs/m.yaml:6:5: error[check] metadata.labels.app.kubernetes.io/name: label "
         "'app.kubernetes.io/name' uses a reserved prefix (hint: Config Sync rejects "
         "configsync.gke.io/ and configmanagement.gke.io/ labels; infergen sets "
         "app.kubernetes.io/ and infergen.dev/ itself)",
         "specs/m.yaml:7:5: error[check] metadata.labels.configsync.gke.io/x: label "
         "'configsync.gke.io/x' uses a reserved prefix (hint: Config Sync rejects "
         "configsync.gke.io/ and configmanagement.gke.io/ labels; infergen sets "
         "app.kubernetes.io/ and infergen.dev/ itself)"],
        id="reserved-label-prefixes"),
    # --- contract fields this version refuses
    pytest.param(
        MODEL + "  server:\n    engine: jetstream\n",
        ["specs/m.yaml:9:11: error[check] spec.accelerator.type: engine jetstream does not run "
         "on gpus (hint: choose an accelerator of kind: tpu)"],
        id="engine-jetstream-on-gpu"),
    pytest.param(
        _model("hf://org/m", "oci://registry/m"),
        ["specs/m.yaml:7:13: error[check] spec.model.source: 'oci://registry/m' is not a model "
         "source (hint: one of: hf://ORG/NAME[@REVISION], gs://BUCKET[/PATH], "
         "oci://REGISTRY/IMAGE:TAG, pvc://CLAIM[/PATH])"],
        id="source-oci-without-tag"),
    pytest.param(
        MODEL + "  monitoring:\n    enabled: false\n    alerts: true\n",
        ["specs/m.yaml:12:13: error[check] spec.monitoring.alerts: alerts read the metrics that "
         "monitoring.enabled: false stops collecting (hint: enable monitoring, or turn alerts "
         "off)"],
        id="alerts-without-monitoring"),
    pytest.param(
        MODEL + "  monitoring:\n    enabled: false\n    slo: {availabilityTarget: 0.999}\n",
        [
        "specs/m.yaml:12:10: error[check] spec.monitoring.slo: the SLO reads the metrics that "
         "monitoring.enabled: false stops collecting (hint: enable monitoring, or remove "
         "monitoring.slo)"], id="slo-without-monitoring"),
    pytest.param(
        MODEL + "  monitoring:\n    slo: {latencySeconds: 2, latencyTarget: 0.99}\n",
        [
        "specs/m.yaml:11:27: error[check] spec.monitoring.slo.latencySeconds: 2 s is no bucket "
         "boundary of vllm:time_to_first_token_seconds (hint: use one of its boundaries, such as "
         "1.0 or 2.5)"], id="slo-latency-not-a-bucket-boundary"),
    pytest.param(
        MODEL + "  server: {engine: sglang}\n  monitoring:\n"
        "    slo: {latencySeconds: 2.5, latencyTarget: 0.99}\n",
        [
        "specs/m.yaml:12:27: error[check] spec.monitoring.slo.latencySeconds: engine sglang "
         "exports no latency histogram whose bucket boundaries infergen knows (hint: remove "
         "latencySeconds and latencyTarget)"], id="slo-latency-without-known-buckets"),
    pytest.param(
        MODEL + "  server: {engine: sglang}\n  monitoring:\n    slo: {availabilityTarget: 0.999}\n",
        [
        "specs/m.yaml:12:31: error[check] spec.monitoring.slo.availabilityTarget: engine sglang "
         "counts no failed requests to measure availability by (hint: remove "
         "availabilityTarget, or use an engine that counts them (vllm, tgi, tei))"],
        id="slo-availability-without-failure-counter"),
    pytest.param(
        MODEL + "  monitoring:\n    slo: {availabilityTarget: 0.9}\n",
        [
        "specs/m.yaml:11:31: error[check] spec.monitoring.slo.availabilityTarget: a target of 0.9 "
         "leaves a budget the 14.4x burn-rate alert can never exceed (hint: use a target above "
         "0.931)"], id="slo-target-its-alerts-can-never-reach"),
    # --- accelerator fields that GKE cannot provide
    pytest.param(
        MODEL + "    topology: 2x4\n",
        ["specs/m.yaml:10:15: error[check] spec.accelerator.topology: accelerator.topology "
         "applies to TPUs only"],
        id="topology-on-a-gpu"),
    pytest.param(
        MODEL + "  capacity:\n    provisioning: [on-demand]\n    reservation: my-res\n",
        ["specs/m.yaml:12:18: error[check] spec.capacity.reservation: capacity.reservation is "
         "set but provisioning does not include reservation"],
        id="reservation-without-provisioning-reservation"),
    pytest.param(
        MODEL + "    count: 3\n",
        ["specs/m.yaml:10:12: error[check] spec.accelerator.count: 3 is not one of [1, 2, 4, 8] "
         "for nvidia-l4, nor a multiple of 8 (several nodes) (hint: GKE nodes of this type "
         "carry only these GPU counts)"],
        id="gpu-count-3-nvidia-l4"),
    pytest.param(
        _model("nvidia-l4", "nvidia-tesla-t4").replace(
            "    source: hf://org/m\n", "    source: hf://org/m\n    dtype: bfloat16\n"),
        ["specs/m.yaml:8:12: error[check] spec.model.dtype: nvidia-tesla-t4 does not support "
         "bfloat16 (hint: use float16)"],
        id="bfloat16-on-t4"),
    # --- replicas
    pytest.param(
        MODEL + "  scaling:\n    minReplicas: 3\n    maxReplicas: 2\n",
        ["specs/m.yaml:11:18: error[check] spec.scaling.minReplicas: minReplicas 3 is greater "
         "than maxReplicas 2 in environment dev",
         "specs/m.yaml:11:18: error[check] spec.scaling.minReplicas: minReplicas 3 is greater "
         "than maxReplicas 2 in environment prod"],
        id="min-above-max"),
    pytest.param(
        MODEL + "  scaling:\n    minReplicas: 1\n    maxReplicas: 2\n"
                "  environments:\n    prod:\n      scaling: {minReplicas: 4}\n",
        ["specs/m.yaml:15:30: error[check] spec.environments.prod.scaling.minReplicas: "
         "minReplicas 4 is greater than maxReplicas 2 in environment prod"],
        id="min-above-max-from-override"),
    pytest.param(
        MODEL + "  scaling:\n    minReplicas: 0\n    maxReplicas: 2\n",
        ["specs/m.yaml:11:18: error[check] spec.scaling.minReplicas: minReplicas 0 (scale to "
         "zero) is not possible with a HorizontalPodAutoscaler on GKE (hint: use minReplicas: "
         "1, or `autoscaler: keda` on the Platform's environment)"],
        id="min-replicas-zero"),
]


@pytest.mark.parametrize(("text", "expected"), MODEL_CASES)
def test_model_rule(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, text: str,
                    expected: list[str]) -> None:
    run = render(tmp_path, monkeypatch, {"m.yaml": text})
    assert_fails(run, expected)


# ------------------------------------------------- values from the Platform's defaults

DEFAULTS_CASES = [
    pytest.param(
        _with_defaults("      clusters: [prod-1]\n", "        model: {dtype: bfloat16}\n"),
        _model("nvidia-l4", "nvidia-tesla-t4"),
        ["specs/platform.yaml:14:24: error[check] spec.environments[1].defaults.model.dtype: "
         "nvidia-tesla-t4 does not support bfloat16 (hint: use float16)"],
        id="defaults-dtype"),
    pytest.param(
        _with_defaults("      clusters: [prod-1]\n", "        scaling: {minReplicas: 3}\n"),
        MODEL + "  scaling:\n    maxReplicas: 2\n",
        # the spec's line, which broke the pair, and where the Platform's default is set
        ["specs/m.yaml:11:18: error[check] spec.scaling.maxReplicas: minReplicas 3 is greater "
         "than maxReplicas 2 in environment prod (minReplicas 3 is set at "
         "specs/platform.yaml:14)"],
        id="defaults-min-replicas"),
    pytest.param(
        _with_defaults("      clusters: [dev-1]\n", "        scaling:\n          minReplicas: 0\n"),
        MODEL,
        ["specs/platform.yaml:13:24: error[check] spec.environments[0].defaults.scaling."
         "minReplicas: minReplicas 0 (scale to zero) is not possible with a "
         "HorizontalPodAutoscaler on GKE (hint: use minReplicas: 1, or `autoscaler: keda` on "
         "the Platform's environment)"],
        id="defaults-min-replicas-zero"),
    pytest.param(
        _with_defaults("      clusters: [prod-1]\n", "        model: {dtype: float32}\n"),
        MODEL + "  server:\n    engine: tgi\n",
        ["specs/platform.yaml:14:24: error[check] spec.environments[1].defaults.model.dtype: "
         "engine tgi does not serve float32 models (hint: use one of: bfloat16, float16, fp8, "
         "int8, int4)"],
        id="defaults-dtype-for-engine"),
]


@pytest.mark.parametrize(("platform", "text", "expected"), DEFAULTS_CASES)
def test_value_from_platform_defaults(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                      platform: str, text: str, expected: list[str]) -> None:
    run = render(tmp_path, monkeypatch, {"platform.yaml": platform, "m.yaml": text})
    assert_fails(run, expected)


# ------------------------------------------------------------------- across files


def test_same_name_in_two_files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    named = _model("  name: m\n", "  name: m\n  namespace: llm\n")
    run = render(tmp_path, monkeypatch, {"a.yaml": named, "b.yaml": named})
    assert_fails(run, [
        "specs/b.yaml:4:9: error[check] metadata.name: llm/m is also defined in specs/a.yaml "
        "(environment dev) (hint: rename one of them or put it in another namespace)",
        "specs/b.yaml:4:9: error[check] metadata.name: llm/m is also defined in specs/a.yaml "
        "(environment prod) (hint: rename one of them or put it in another namespace)",
    ])


def test_same_name_in_other_environments_is_fine(tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    run = render(tmp_path, monkeypatch, {"a.yaml": MODEL + "  deployTo: [dev]\n",
                                         "b.yaml": MODEL + "  deployTo: [prod]\n"})
    assert run.exit_code == 0, run.stderr
    assert run.errors == []


def test_override_for_environment_left_out_is_a_warning(tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    run = render(tmp_path, monkeypatch, {
        "m.yaml": MODEL + "  deployTo: [dev]\n"
                          "  environments:\n    prod:\n      scaling: {maxReplicas: 2}\n"},
        args=("--allow-empty", "prod"))  # an empty root is an error without it (test_fleet)
    assert "Traceback" not in run.stdout + run.stderr
    assert run.exit_code == 0, run.stderr
    assert run.errors == []
    assert run.warnings == [
        unsized(),
        "specs/m.yaml:12:5: warning[check] spec.environments.prod: overrides for 'prod', which "
        "deployTo leaves out (hint: add it to deployTo or remove the overrides)",
        "specs/platform.yaml:11:7: warning[check] spec.environments[1]: "
        + NO_MODELS.format("prod"),
    ]
    assert_one_line_each(run)
    assert run.out_after != run.out_before  # a warning never stops the render


# (vLLM on CPU nodes, accelerator type none, renders since 2026-12: tests/cases/vllm-cpu)
@pytest.mark.parametrize("accelerator", ["tpu-v5e"])
def test_accelerator_without_a_rendering_is_refused(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, accelerator: str) -> None:
    # Exact text not asserted: TPU and CPU support is being added in parallel, and the
    # message moved from "not supported yet" to shape rules (TPU topology, engine on CPU).
    # What must hold either way: one clean diagnostic on the accelerator, exit 1.
    run = render(tmp_path, monkeypatch, {"m.yaml": _model("nvidia-l4", accelerator)})
    assert len(run.errors) == 1, run.stderr
    assert run.errors[0].startswith("specs/m.yaml:9:"), run.errors
    assert "error[check] spec.accelerator." in run.errors[0], run.errors
    assert_fails(run, run.errors)


@pytest.mark.parametrize(("extra", "expected"), [
    pytest.param(
        "  capacity: {provisioning: [spot, on-demand]}\n",
        "specs/m.yaml:10:28: error[check] spec.capacity.provisioning: capacity spot, on-demand "
        "(Spot, Flex Start, reservations and ComputeClasses) is GKE-only, but environment prod "
        "targets plain Kubernetes (hint: override it in spec.environments for that environment, "
        "or leave the environment out of deployTo)",
        id="spot"),
    pytest.param(
        "  identity: {gcpServiceAccount: reader@acme.iam.gserviceaccount.com}\n",
        "specs/m.yaml:10:33: error[check] spec.identity.gcpServiceAccount: Workload Identity is "
        "GKE-only, but environment prod targets plain Kubernetes (hint: override it in "
        "spec.environments for that environment, or leave the environment out of deployTo)",
        id="workload-identity"),
])
def test_portable_environment_refuses_gke_only_features(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, extra: str, expected: str) -> None:
    platform = _platform("      clusters: [prod-1]\n",
                         "      target: kubernetes\n      clusters: [prod-1]\n")
    run = render(tmp_path, monkeypatch, {"platform.yaml": platform, "m.yaml": MODEL + extra})
    assert_fails(run, [expected])


# ------------------------------------------------------------ regressions: problems found and fixed


def test_max_below_min_from_override_points_at_override(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    run = render(tmp_path, monkeypatch, {"m.yaml": MODEL + (
        "  scaling:\n    minReplicas: 2\n    maxReplicas: 4\n"
        "  environments:\n    prod:\n      scaling:\n        maxReplicas: 1\n")})
    assert_fails(run, [
        "specs/m.yaml:16:22: error[check] spec.environments.prod.scaling.maxReplicas: "
        "minReplicas 2 is greater than maxReplicas 1 in environment prod"])


@pytest.mark.parametrize(("text", "expected"), [
    pytest.param(
        _model("  accelerator:\n    type: nvidia-l4\n", ""),
        "specs/m.yaml:5:1: error[check] spec.accelerator: accelerator.type is required (hint: "
        "for example `accelerator: {type: nvidia-l4}`)",
        id="no-accelerator-points-at-model"),
    pytest.param(
        _model("    type: nvidia-l4\n", "    count: 1\n"),
        "specs/m.yaml:8:3: error[check] spec.accelerator: accelerator.type is required (hint: "
        "for example `accelerator: {type: nvidia-l4}`)",
        id="accelerator-without-type-points-at-count"),
])
def test_missing_accelerator_type_points_at_its_parent(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, text: str, expected: str) -> None:
    run = render(tmp_path, monkeypatch, {"m.yaml": text})
    assert_fails(run, [expected])
