"""Error paths of the schema step: each spec breaks the JSON Schema in one way (or several)
and must get the exact diagnostic, pointed at the offending key or value.

MODEL (tests/errorcases.py) is 9 lines long, so text appended to it starts on line 10.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.errorcases import MODEL, PLATFORM, assert_fails, render

ACCELERATORS = ("none, nvidia-tesla-t4, nvidia-l4, nvidia-rtx-pro-6000, nvidia-tesla-a100, "
                "nvidia-a100-80gb, nvidia-h100-80gb, nvidia-h100-mega-80gb, nvidia-h200-141gb, "
                "nvidia-b200, nvidia-gb200, tpu-v4, tpu-v5e, tpu-v5p, tpu-v6e, tpu7x")
DNS_LABEL = ("A DNS-1123 label - lower-case letters, digits and '-', starting and ending with "
             "a letter or digit, at most 63 characters.")
KINDS = "expected one of: Platform, ModelDeployment"


def _model(old: str, new: str) -> str:
    assert old in MODEL, old
    return MODEL.replace(old, new)


def _with_token(value: str) -> str:
    return _model("    source: hf://org/m\n", f"    source: hf://org/m\n    tokenSecret: {value}\n")


MODEL_CASES = [
    # --- monitoring.slo: a latency objective needs both its threshold and its target
    pytest.param(MODEL + "  monitoring:\n    slo: {latencySeconds: 2.5}\n",
                 ["specs/m.yaml:11:10: error[schema] spec.monitoring.slo: 'latencyTarget' is a "
                  "dependency of 'latencySeconds'"], id="slo-latency-without-target"),
    pytest.param(MODEL + "  monitoring:\n    slo: {}\n",
                 ["specs/m.yaml:11:10: error[schema] spec.monitoring.slo: {} should be "
                  "non-empty"], id="slo-empty"),
    pytest.param(MODEL + "  monitoring:\n    slo: {availabilityTarget: 1}\n",
                 ["specs/m.yaml:11:31: error[schema] spec.monitoring.slo.availabilityTarget: 1 "
                  "is greater than or equal to the maximum of 1"], id="slo-target-of-one"),
    # --- unknown fields, with a did-you-mean hint when one is close
    pytest.param(
        _model("  accelerator:\n", "  acelerator:\n"),
        ["specs/m.yaml:8:3: error[schema] spec.acelerator: unknown field 'acelerator' (hint: "
         "did you mean 'accelerator'?)"],
        id="unknown-field-acelerator"),
    pytest.param(
        MODEL + "  scaling:\n    minReplica: 1\n",
        ["specs/m.yaml:11:5: error[schema] spec.scaling.minReplica: unknown field 'minReplica' "
         "(hint: did you mean 'minReplicas'?)"],
        id="unknown-field-minReplica"),
    pytest.param(
        MODEL + "status: {}\n",
        ["specs/m.yaml:10:1: error[schema] status: unknown field 'status'"],
        id="unknown-field-top-level-no-hint"),
    pytest.param(
        MODEL + "  zzzz: 1\n",
        ["specs/m.yaml:10:3: error[schema] spec.zzzz: unknown field 'zzzz'"],
        id="unknown-field-nothing-close"),
    # --- enum values, with a hint
    pytest.param(
        _model("nvidia-l4", "nvidia-l5"),
        [f"specs/m.yaml:9:11: error[schema] spec.accelerator.type: 'nvidia-l5' is not one of: "
         f"{ACCELERATORS} (hint: did you mean 'nvidia-l4'?)"],
        id="enum-accelerator-nvidia-l5"),
    pytest.param(
        MODEL + "  server:\n    engine: vlm\n",
        ["specs/m.yaml:11:13: error[schema] spec.server.engine: 'vlm' is not one of: vllm, tgi, "
         "triton, jetstream, jetstream-maxtext, sglang, tei, custom (hint: did you mean 'vllm'?)"],
        id="enum-engine-vlm"),
    pytest.param(
        MODEL + "  scaling:\n    metric: qps\n",
        ["specs/m.yaml:11:13: error[schema] spec.scaling.metric: 'qps' is not one of: "
         "queue-size, kv-cache-usage, batch-size, cpu, gpu-utilization, none"],
        id="enum-no-close-value"),
    # --- required fields at the top level (nested ones: see the regressions below)
    pytest.param(
        _model("apiVersion: infergen.dev/v1alpha1\n", ""),
        ["specs/m.yaml:1:1: error[schema] missing required field 'apiVersion'"],
        id="missing-apiVersion"),
    pytest.param(
        _model("metadata:\n  name: m\n", ""),
        ["specs/m.yaml:1:1: error[schema] missing required field 'metadata'"],
        id="missing-metadata"),
    # --- apiVersion and kind
    pytest.param(
        _model("infergen.dev/v1alpha1", "infergen.dev/v1"),
        ["specs/m.yaml:1:13: error[schema] apiVersion: must be 'infergen.dev/v1alpha1', not "
         "'infergen.dev/v1'"],
        id="wrong-apiVersion"),
    pytest.param(
        _model("kind: ModelDeployment", "kind: ModelDeploy"),
        [f"specs/m.yaml:2:7: error[schema] kind: kind is 'ModelDeploy'; {KINDS} (hint: did you "
         "mean 'ModelDeployment'?)"],
        id="wrong-kind-typo"),
    pytest.param(
        _model("kind: ModelDeployment", "kind: modeldeployment"),
        [f"specs/m.yaml:2:7: error[schema] kind: kind is 'modeldeployment'; {KINDS} (hint: did "
         "you mean 'ModelDeployment'?)"],
        id="wrong-kind-case"),
    pytest.param(
        _model("kind: ModelDeployment", "kind: Deployment"),
        [f"specs/m.yaml:2:7: error[schema] kind: kind is 'Deployment'; {KINDS} (hint: did you "
         "mean 'ModelDeployment'?)"],
        id="wrong-kind-kubernetes"),
    pytest.param(
        _model("kind: ModelDeployment\n", ""),
        [f"specs/m.yaml:1:1: error[schema] kind: kind is missing; {KINDS}"],
        id="missing-kind"),
    # --- types
    pytest.param(
        MODEL + "    count: two\n",
        ["specs/m.yaml:10:12: error[schema] spec.accelerator.count: expected integer, got str "
         "'two'"],
        id="type-string-for-integer"),
    pytest.param(
        MODEL + "    count: 1.5\n",
        ["specs/m.yaml:10:12: error[schema] spec.accelerator.count: expected integer, got "
         "float 1.5"],
        id="type-float-for-integer"),
    pytest.param(
        MODEL + "  scaling:\n    minReplicas: true\n",
        ["specs/m.yaml:11:18: error[schema] spec.scaling.minReplicas: expected integer, got "
         "bool True"],
        id="type-bool-for-integer"),
    pytest.param(
        MODEL + "  routing:\n    inferenceGateway: 'yes'\n",
        ["specs/m.yaml:11:23: error[schema] spec.routing.inferenceGateway: expected boolean, "
         "got str 'yes'"],
        id="type-string-for-boolean"),
    pytest.param(
        _model("  model:\n    source: hf://org/m\n  accelerator:\n    type: nvidia-l4\n",
               "  - nvidia-l4\n"),
        ["specs/m.yaml:5:1: error[schema] spec: expected object, got list ['nvidia-l4']"],
        id="type-list-for-object"),
    pytest.param(
        _model("  name: m\n", "  name: m\n  labels: {team: 3}\n"),
        ["specs/m.yaml:5:18: error[schema] metadata.labels.team: expected string, got int 3"],
        id="type-label-value-int"),
    # --- names: the pattern message quotes the schema's description
    pytest.param(
        _model("  name: m\n", "  name: My_Model\n"),
        [f"specs/m.yaml:4:9: error[schema] metadata.name: 'My_Model' is not valid: {DNS_LABEL}"],
        id="bad-dns-name"),
    pytest.param(
        _model("  name: m\n", "  name: " + "a" * 64 + "\n"),
        [f"specs/m.yaml:4:9: error[schema] metadata.name: '{'a' * 64}' is not valid: "
         f"{DNS_LABEL}"],
        id="dns-name-too-long"),
    pytest.param(
        _model("  name: m\n", "  name: m\n  namespace: LLM\n"),
        [f"specs/m.yaml:5:14: error[schema] metadata.namespace: 'LLM' is not valid: {DNS_LABEL}"],
        id="bad-dns-namespace"),
    pytest.param(
        _model("hf://org/m", "huggingface.co/org/m"),
        ["specs/m.yaml:7:13: error[schema] spec.model.source: 'huggingface.co/org/m' is not "
         "valid: Where the weights come from: hf://ORG/NAME[@REVISION] (Hugging Face), "
         "gs://BUCKET/PATH (Cloud Storage, mounted with GCS FUSE), oci://IMAGE (weights baked "
         "into an image) or pvc://CLAIM/PATH (weights already on a PersistentVolumeClaim of the "
         "model's namespace, mounted read-only: Filestore, or a ReadOnlyMany Hyperdisk ML "
         "volume)."],
        id="bad-source-uri"),
    # --- bounds
    pytest.param(
        MODEL + "    count: 0\n",
        ["specs/m.yaml:10:12: error[schema] spec.accelerator.count: 0 is less than the minimum "
         "of 1"],
        id="below-minimum"),
    pytest.param(
        MODEL + "  scaling:\n    maxReplicas: 100000\n",
        ["specs/m.yaml:11:18: error[schema] spec.scaling.maxReplicas: 100000 is greater than "
         "the maximum of 10000"],
        id="above-maximum"),
    pytest.param(
        MODEL + "  deployTo: [dev, dev]\n",
        ["specs/m.yaml:10:13: error[schema] spec.deployTo: ['dev', 'dev'] has non-unique "
         "elements"],
        id="deployTo-not-unique"),
    # --- tokenSecret is a Secret name or {name, key}: a number is neither
    pytest.param(
        _with_token("42"),
        ["specs/m.yaml:8:18: error[schema] spec.model.tokenSecret: expected string, got int 42"],
        id="tokenSecret-number"),
    # --- every error of a file is reported, in line order
    pytest.param(
        _model("  name: m\n", "  name: M\n").replace("nvidia-l4", "nvidia-l5")
        + "  scaling:\n    minReplica: 1\n",
        [f"specs/m.yaml:4:9: error[schema] metadata.name: 'M' is not valid: {DNS_LABEL}",
         f"specs/m.yaml:9:11: error[schema] spec.accelerator.type: 'nvidia-l5' is not one of: "
         f"{ACCELERATORS} (hint: did you mean 'nvidia-l4'?)",
         "specs/m.yaml:11:5: error[schema] spec.scaling.minReplica: unknown field 'minReplica' "
         "(hint: did you mean 'minReplicas'?)"],
        id="several-errors-in-one-file"),
]


@pytest.mark.parametrize(("text", "expected"), MODEL_CASES)
def test_model_schema_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, text: str,
                            expected: list[str]) -> None:
    run = render(tmp_path, monkeypatch, {"m.yaml": text})
    assert_fails(run, expected)


def _platform(old: str, new: str) -> str:
    assert old in PLATFORM, old
    return PLATFORM.replace(old, new)


PLATFORM_CASES = [
    pytest.param(
        _platform('  configSync:\n    repo: https://example.com/config.git\n', ""),
        ["specs/platform.yaml:5:1: error[schema] spec: missing required field 'configSync'"],
        id="missing-configSync"),
    pytest.param(
        _platform("      clusters: [dev-1]\n", ""),
        ["specs/platform.yaml:9:7: error[schema] spec.environments[0]: missing required field "
         "'clusters'"],
        id="environment-without-clusters"),
    pytest.param(
        _platform("spec:\n", 'spec:\n  kubernetesVersion: 1.33\n'),
        ["specs/platform.yaml:6:22: error[schema] spec.kubernetesVersion: expected string, got "
         "float 1.33"],
        id="kubernetesVersion-unquoted"),
    pytest.param(
        _platform("    repo: https://example.com/config.git\n",
                  "    repo: https://example.com/config.git\n    auth: oauth\n"),
        ["specs/platform.yaml:8:11: error[schema] spec.configSync.auth: 'oauth' is not one of: "
         "none, token, ssh, gcpserviceaccount, gcenode"],
        id="configSync-auth-enum"),
    pytest.param(
        _platform("      clusters: [dev-1]\n",
                  "      clusters: [dev-1]\n"
                  "      defaults:\n"
                  "        acelerator: {type: nvidia-l4}\n"),
        ["specs/platform.yaml:12:9: error[schema] spec.environments[0].defaults.acelerator: "
         "unknown field 'acelerator' (hint: did you mean 'accelerator'?)"],
        id="defaults-unknown-field"),
    pytest.param(
        _platform("clusters: [prod-1]", "clusters: [Prod_1]"),
        [f"specs/platform.yaml:12:18: error[schema] spec.environments[1].clusters[0]: 'Prod_1' "
         f"is not valid: {DNS_LABEL}"],
        id="bad-cluster-name"),
    pytest.param(
        _platform("clusters: [prod-1]", "clusters: [{name: prod-1, region: Central}]"),
        ["specs/platform.yaml:12:41: error[schema] spec.environments[1].clusters[0].region: "
         "'Central' is not valid: A Compute Engine region (us-central1, europe-west4): where "
         "the cluster's nodes run, for list prices."],
        id="bad-cluster-region"),
    pytest.param(
        _platform("clusters: [prod-1]", "clusters: [{name: prod-1, regoin: us-east4}]"),
        ["specs/platform.yaml:12:33: error[schema] spec.environments[1].clusters[0].regoin: "
         "unknown field 'regoin' (hint: did you mean 'region'?)"],
        id="misspelt-cluster-region"),
    pytest.param(
        _platform("spec:\n", "spec:\n  pricing: {discount: 1.5}\n"),
        ["specs/platform.yaml:6:23: error[schema] spec.pricing.discount: 1.5 is greater "
         "than or equal to the maximum of 1"],
        id="discount-out-of-range"),
]


@pytest.mark.parametrize(("platform", "expected"), PLATFORM_CASES)
def test_platform_schema_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, platform: str,
                               expected: list[str]) -> None:
    run = render(tmp_path, monkeypatch, {"platform.yaml": platform})
    assert_fails(run, expected)


def test_platform_kind_typo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # exact list not asserted (see the regression
    # test_broken_platform_is_not_also_missing in test_errors_load.py)
    run = render(tmp_path, monkeypatch,
                 {"platform.yaml": _platform("kind: Platform", "kind: Platfrom")})
    assert (f"specs/platform.yaml:2:7: error[schema] kind: kind is 'Platfrom'; {KINDS} (hint: "
            "did you mean 'Platform'?)") in run.errors, run.stderr
    assert_fails(run, run.errors)


def test_errors_in_two_files_are_both_reported(tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    run = render(tmp_path, monkeypatch, {
        "a.yaml": _model("  accelerator:\n", "  acelerator:\n"),
        "b.yaml": _model("name: m", "name: b").replace("nvidia-l4", "nvidia-l5"),
    })
    assert_fails(run, [
        "specs/a.yaml:8:3: error[schema] spec.acelerator: unknown field 'acelerator' (hint: "
        "did you mean 'accelerator'?)",
        f"specs/b.yaml:9:11: error[schema] spec.accelerator.type: 'nvidia-l5' is not one of: "
        f"{ACCELERATORS} (hint: did you mean 'nvidia-l4'?)",
    ])


def test_a_load_error_does_not_hide_a_schema_error(tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    run = render(tmp_path, monkeypatch, {
        "a.yaml": MODEL + "  on: true\n",
        "b.yaml": _model("name: m", "name: b") + "  scaling:\n    minReplica: 1\n",
    })
    assert_fails(run, [
        "specs/a.yaml:10:3: error[load] spec: mapping key 'on' is not a string (hint: quote "
        'it: "on")',
        "specs/b.yaml:11:5: error[schema] spec.scaling.minReplica: unknown field 'minReplica' "
        "(hint: did you mean 'minReplicas'?)",
    ])


def test_a_broken_model_does_not_hide_another_models_errors(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # b.yaml is schema-valid, so the check step runs on it although a.yaml is broken
    run = render(tmp_path, monkeypatch, {
        "a.yaml": _model("  accelerator:\n", "  acelerator:\n"),
        "b.yaml": _model("name: m", "name: b") + "  deployTo: [prd]\n",
    })
    assert_fails(run, [
        "specs/a.yaml:8:3: error[schema] spec.acelerator: unknown field 'acelerator' (hint: "
        "did you mean 'accelerator'?)",
        "specs/b.yaml:10:14: error[check] spec.deployTo[0]: environment 'prd' is not in the "
        "Platform (known: dev, prod) (hint: did you mean 'prod'?)",
    ])


# ------------------------------------------------------------ regressions: problems found and fixed


@pytest.mark.parametrize(("text", "expected"), [
    pytest.param(
        _with_token("Bad_Name"),
        "specs/m.yaml:8:18: error[schema] spec.model.tokenSecret: 'Bad_Name' is not valid: "
        "Name of a Kubernetes Secret (DNS-1123 subdomain).",
        id="tokenSecret-bad-name-says-expected-object"),
    pytest.param(
        _with_token("{key: hf_token}"),
        "specs/m.yaml:8:18: error[schema] spec.model.tokenSecret: missing required field "
        "'name'",
        id="tokenSecret-without-name-says-expected-string"),
    pytest.param(
        _with_token("{name: hf-secret, kee: hf_token}"),
        "specs/m.yaml:8:36: error[schema] spec.model.tokenSecret.kee: unknown field 'kee' "
        "(hint: did you mean 'key'?)",
        id="tokenSecret-typo-says-expected-string"),
    pytest.param(
        MODEL + "  server:\n    resources: {cpu: lots}\n",
        "specs/m.yaml:11:22: error[schema] spec.server.resources.cpu: 'lots' is not valid: A "
        'Kubernetes quantity such as "8", "500m", "48Gi".',
        id="quantity-string-says-expected-number"),
])
def test_one_of_reports_the_intended_branch(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                            text: str, expected: str) -> None:
    run = render(tmp_path, monkeypatch, {"m.yaml": text})
    assert_fails(run, [expected])


@pytest.mark.parametrize(("text", "expected"), [
    pytest.param(
        _model("  model:\n    source: hf://org/m\n", ""),
        "specs/m.yaml:5:1: error[schema] spec: missing required field 'model'",
        id="spec-without-model-points-at-accelerator"),
    pytest.param(
        _model("    source: hf://org/m\n", "    parameters: 8B\n"),
        "specs/m.yaml:6:3: error[schema] spec.model: missing required field 'source'",
        id="model-without-source-points-at-parameters"),
    pytest.param(
        _model("  name: m\n", "  namespace: llm\n"),
        "specs/m.yaml:3:1: error[schema] metadata: missing required field 'name'",
        id="metadata-without-name-points-at-namespace"),
])
def test_missing_field_points_at_its_parent_key(tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch, text: str,
                                                expected: str) -> None:
    run = render(tmp_path, monkeypatch, {"m.yaml": text})
    assert_fails(run, [expected])


@pytest.mark.parametrize(("text", "prefix"), [
    pytest.param(
        MODEL + "  environments:\n    dev: {}\n    Prod: {}\n",
        "specs/m.yaml:12:5: error[schema] spec.environments.Prod: 'Prod' is not valid",
        id="environment-override-key"),
    pytest.param(
        _model("  name: m\n", "  name: m\n  labels:\n    team: nlp\n    'cost center': x\n"),
        "specs/m.yaml:7:5: error[schema] metadata.labels.cost center: 'cost center' is not "
        "valid",
        id="label-key"),
])
def test_bad_key_points_at_the_key(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, text: str,
                                   prefix: str) -> None:
    run = render(tmp_path, monkeypatch, {"m.yaml": text})
    assert len(run.errors) == 1, run.stderr
    assert run.errors[0].startswith(prefix), run.errors


def test_bad_environment_name_says_the_rule(tmp_path: Path,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    run = render(tmp_path, monkeypatch, {"platform.yaml": _platform("name: dev", "name: Dev")})
    assert len(run.errors) == 1, run.stderr
    assert run.errors[0].startswith(
        "specs/platform.yaml:9:13: error[schema] spec.environments[0].name: 'Dev' is not "
        "valid: "), run.errors
    assert "lower-case" in run.errors[0], run.errors


def test_bad_label_key_says_the_rule(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    run = render(tmp_path, monkeypatch, {
        "m.yaml": _model("  name: m\n", "  name: m\n  labels: {'bad key': x}\n")})
    assert len(run.errors) == 1, run.stderr
    assert "'bad key' is not valid: " in run.errors[0], run.errors
    assert "does not match" not in run.errors[0], run.errors
