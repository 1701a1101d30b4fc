"""The secret scanner: every string of every spec document, the Platform included.

Table tests: each credential shape of generator/catalog/credentials.yaml, each URL form and
each key-shaped flag gives exactly one error, at the line and field where it is written,
with the exit code, the untouched tree and the one-line format of every error test. The
tokens are assembled from pieces so that this file is not itself a credential to scanners.
"""

from __future__ import annotations

import dataclasses
import json
import re
from pathlib import Path

import pytest
import yaml

from generator.checks.secrets import fingerprint, scan
from generator.spec.yamlio import parse
from tests.conftest import ROOT
from tests.errorcases import MODEL, PLATFORM, Run, render, unsized
from tests.errorcases import assert_fails as _assert_fails

# how each error offers the waiver (tests/checks/test_waivers.py checks it): left out of the
# expected lines below
WAIVER = re.compile(r'; if it is no credential, waive it in metadata\.secretExceptions: '
                    r'\{field: [^ ]+, fingerprint: "sha256:[0-9a-f]{64}", reason: WHY\}')


def assert_fails(run: Run, errors: list[str], warnings: list[str] | None = None) -> None:
    _assert_fails(without_waiver(run), errors, warnings)


def without_waiver(run: Run) -> Run:
    return dataclasses.replace(run, stderr=WAIVER.sub("", run.stderr))

GIT = "specs are committed to Git"
REVOKE = "put it in a Kubernetes Secret, and revoke it: it may already be in Git history"
HF_HINT = "put it in a Secret and name it in model.tokenSecret"
URL_HINT = ("remove the credentials from the URL: Config Sync reads them from a Secret "
            "(configSync.auth token or ssh, with configSync.secretRef); other services take "
            "theirs from a Secret too")
URL_MESSAGE = ("this URL carries credentials (user:password@ or a token as the user); " + GIT)
FROM_SECRET = "{secretKeyRef: {name: SECRET, key: KEY}}}"
KEY_HINT = "a key comes from a Secret, never the spec: "
VLLM_KEY_HINT = (KEY_HINT + "vLLM reads its key from VLLM_API_KEY in its environment; give it "
                 "as server.env: {VLLM_API_KEY: " + FROM_SECRET)

ALNUM = "aB3dE5fG7hJ9kL1mN3pQ5rS7tU9vW1xY3zA5cD7eF9gH1jK3"  # 48 letters and digits
UPPER = "A1B2C3D4E5F6G7H8"

HEX = "3f9a0c7d1e2b8a4f6c5d9e0b7a1c3e5f2d4b6a8c"  # 40 hex digits
B64 = "QmVkcm9ja0FQSUtleS1hYmNkZWZnaGlqa2xtbm9wcXJzdHV2d3h5ejAxMjM0NTY3ODlBQkNERUZH" * 2

# (shape name as the catalog says it, a value of that shape)
SHAPES = [
    ("Hugging Face token", "hf" + "_" + ALNUM[:34]),
    ("GitHub token (classic, OAuth, app or refresh)", "gh" + "p_" + ALNUM[:36]),
    ("GitHub token (classic, OAuth, app or refresh)", "gh" + "o_" + ALNUM[:36]),
    ("GitHub token (classic, OAuth, app or refresh)", "gh" + "u_" + ALNUM[:36]),
    ("GitHub token (classic, OAuth, app or refresh)", "gh" + "s_" + ALNUM[:36]),
    ("GitHub token (classic, OAuth, app or refresh)", "gh" + "r_" + ALNUM[:36]),
    ("GitHub fine-grained token", "github" + "_pat_" + ALNUM[:22] + "_" + ALNUM),
    ("GitLab token", "gl" + "pat-" + ALNUM[:20]),
    ("GitLab token", "gl" + "cbt-" + ALNUM[:26]),
    ("GitLab token", "gl" + "soat-" + ALNUM[:20]),
    ("OpenRouter API key", "sk" + "-or-v1-" + HEX + HEX[:24]),
    ("OpenAI API key", "sk" + "-proj-" + ALNUM + "-" + ALNUM),
    ("OpenAI API key", "sk" + "-" + ALNUM),
    ("NVIDIA NGC API key", "nv" + "api-" + ALNUM + ALNUM[:16]),
    ("Databricks token", "da" + "pi" + HEX[:32]),
    ("Replicate API token", "r8" + "_" + ALNUM[:37]),
    ("LangSmith API key", "lsv2" + "_pt_" + HEX[:32] + "_" + HEX[:10]),
    ("Google OAuth client secret", "GOC" + "SPX-" + ALNUM[:28]),
    ("HashiCorp Vault token", "hv" + "s." + "CAESI" + ALNUM + ALNUM),
    ("AWS access key id", "AK" + "IA" + UPPER),
    ("AWS access key id", "AS" + "IA" + UPPER),
    ("Amazon Bedrock API key", "AB" + "SK" + B64),
    ("Google service account key (JSON)",
     json.dumps({"type": "service_account", "private" + "_key_id": "1",
                 "private" + "_key": "x"})),
    ("Weights & Biases API key", "WANDB" + "_KEY=" + HEX),
    ("Azure OpenAI key", "AZURE_OPENAI" + "_KEY=" + HEX[:32]),
    ("private key (PEM)", "-----BEGIN RSA " + "PRIVATE KEY-----\nMIIEow\n-----END RSA "
     "PRIVATE KEY-----\n"),
    ("private key (PEM)", "-----BEGIN OPENSSH " + "PRIVATE KEY-----\nb3Bl\n"),
    ("JSON Web Token", "ey" + "JhbGciOiJIUzI1NiJ9.ey" + "JzdWIiOiIxMjM0NTY3ODkwIn0."
     + ALNUM[:30]),
    ("random token", "c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0LXNlY3JldC0xMjM0NQ=="),
]
# vendors whose shapes come from gitleaks' rules (credentials-gitleaks.yaml)
GITLEAKS = [
    ("credential (gitleaks rule gcp-api-key)", "AI" + "za" + "SyD4" + ALNUM[:31]),
    ("credential (gitleaks rule slack-bot-token)", "xo" + "xb-" + "1234567890-1234567890-"
     + ALNUM[:24]),
    ("credential (gitleaks rule slack-app-token)", "xa" + "pp-1-A0123BCDE-1234567890-"
     + HEX[:32]),
    ("credential (gitleaks rule anthropic-api-key)", "sk" + "-ant-api03-" + (ALNUM * 2)[:93]
     + "AA"),
    ("credential (gitleaks rule azure-ad-client-secret)", "abc8Q~" + ALNUM[:34]),
]
HINTS = {"Hugging Face token": HF_HINT,
         "Google service account key (JSON)":
         "use Workload Identity (identity.gcpServiceAccount) instead of a key file"}


def _catalog() -> dict:
    return yaml.safe_load((ROOT / "generator" / "catalog" / "credentials.yaml").read_text(
        encoding="utf-8"))


def test_every_shape_in_the_catalog_has_a_case() -> None:
    assert {s["name"] for s in _catalog()["shapes"]} == {name for name, _ in SHAPES}
    assert all(s.get("source") for s in _catalog()["shapes"])


def _in_args(value: str) -> str:
    # json.dumps: a YAML double-quoted string, newlines and all
    return MODEL + f"  server:\n    args:\n      - {json.dumps(value)}\n"


def _a(name: str) -> str:
    """The shape's name as the message says it, with its article."""
    return ("an " if name.startswith(("AWS", "Open", "Amazon", "Azure")) else "a ") + name


@pytest.mark.parametrize(("name", "value"), SHAPES + GITLEAKS,
                         ids=[f"{n}-{v[:6]}" for n, v in SHAPES + GITLEAKS])
def test_each_shape_in_args_is_one_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                         name: str, value: str) -> None:
    run = render(tmp_path, monkeypatch, {"m.yaml": _in_args(value)})
    assert_fails(run, [f"specs/m.yaml:12:9: error[check] spec.server.args[0]: this looks like "
                       f"{_a(name)}; {GIT} (hint: {HINTS.get(name, REVOKE)})"])
    assert value not in run.stderr  # the diagnostic never repeats the secret


@pytest.mark.parametrize(("name", "value"),
                         [s for s in SHAPES + GITLEAKS if s[0] != "random token"],
                         ids=[f"{n}-{v[:6]}" for n, v in SHAPES + GITLEAKS
                              if n != "random token"])
def test_each_shape_anywhere_else_is_one_error(tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch,
                                               name: str, value: str) -> None:
    # a field no rule knows about: the schema refuses it, and the scanner still says why
    text = MODEL + f"  note: {json.dumps('see ' + value)}\n"
    run = without_waiver(render(tmp_path, monkeypatch, {"m.yaml": text}))
    secret = [line for line in run.errors if "error[check]" in line]
    assert secret == [f"specs/m.yaml:10:9: error[check] spec.note: this looks like {_a(name)}; "
                      f"{GIT} (hint: {HINTS.get(name, REVOKE)})"]
    assert_fails(run, run.errors)


def test_random_token_outside_args_and_env_is_not_a_secret() -> None:
    data = {"spec": {"model": {"source": "hf://org/m@" + dict(SHAPES)["random token"]}}}
    assert scan(data) == []


WHERE = [
    # (spec text, the one error expected)
    pytest.param(
        MODEL.replace("  name: m\n", "  name: m\n  labels:\n    team: " + "AK" + "IA" + UPPER
                      + "\n"),
        "specs/m.yaml:6:11: error[check] metadata.labels.team: this looks like an AWS access "
        f"key id; {GIT} (hint: {REVOKE})",
        id="aws-key-in-a-label-value"),
    pytest.param(
        MODEL.replace("  name: m\n", "  name: m\n  labels:\n    " + "AK" + "IA" + UPPER
                      + ": x\n"),
        "specs/m.yaml:6:5: error[check] metadata.labels.[redacted]"
        + f": this looks like an AWS access key id; {GIT} (hint: {REVOKE})",
        id="aws-key-as-a-label-key"),
    pytest.param(
        MODEL + "  server:\n    env:\n      CERT: |\n        -----BEGIN EC " + "PRIVATE KEY"
        "-----\n        MHcCAQEE\n        -----END EC PRIVATE KEY-----\n",
        f"specs/m.yaml:12:13: error[check] spec.server.env.CERT: this looks like a private "
        f"key (PEM); {GIT} (hint: {REVOKE})",
        id="pem-key-in-env-block-scalar"),
    pytest.param(
        MODEL + "  environments:\n    prod:\n      server:\n        args: [\"--api-key=abc\"]\n",
        f"specs/m.yaml:13:16: error[check] spec.environments.prod.server.args[0]: --api-key is "
        f"given a literal value; {GIT} (hint: {VLLM_KEY_HINT})",
        id="key-flag-in-an-environment-override"),
]


@pytest.mark.parametrize(("text", "expected"), WHERE)
def test_where_a_secret_is_written(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, text: str,
                                  expected: str) -> None:
    assert_fails(render(tmp_path, monkeypatch, {"m.yaml": text}), [expected])


# ---------------------------------------------------------------------------- URLs

def _platform(repo: str) -> str:
    return PLATFORM.replace("repo: https://example.com/config.git", f"repo: {repo}")


@pytest.mark.parametrize("repo", [
    "https://deploy-bot:" + "gh" + "p_" + ALNUM[:36] + "@github.com/org/repo.git",
    "https://user:hunter2@example.com/config.git",
    "https://oauth2@example.com/config.git",  # a token pasted as the user
    "http://user:pw@example.com/config.git",
    "ssh://git:hunter2@example.com/config.git",
    "git+https://user:pw@example.com/config.git",
    "HTTPS://User:Pw@Example.com/config.git",
])
def test_platform_repo_with_credentials_is_one_error(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, repo: str) -> None:
    run = render(tmp_path, monkeypatch, {"m.yaml": MODEL, "platform.yaml": _platform(repo)})
    assert_fails(run, [f"specs/platform.yaml:7:11: error[check] spec.configSync.repo: "
                       f"{URL_MESSAGE} (hint: {URL_HINT})"])


@pytest.mark.parametrize("repo", [
    "ssh://git@github.com/org/repo.git",  # a user without a password: the SSH key is elsewhere
    "git@github.com:org/repo.git",
    "https://example.com/path/with@sign.git",
    "https://source.developers.google.com/p/project/r/repo",
])
def test_urls_without_credentials_pass(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                       repo: str) -> None:
    run = render(tmp_path, monkeypatch, {"m.yaml": MODEL, "platform.yaml": _platform(repo)})
    assert run.exit_code == 0, run.stderr


def test_url_in_args_is_one_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    run = render(tmp_path, monkeypatch, {
        "m.yaml": _in_args("--otlp-traces-endpoint=https://u:p@collector:4318")})
    assert_fails(run, [f"specs/m.yaml:12:9: error[check] spec.server.args[0]: {URL_MESSAGE} "
                       f"(hint: {URL_HINT})"])


@pytest.mark.parametrize("source", [
    "hf://org/m@0123456789abcdef0123456789abcdef01234567",
    "oci://registry.example.com/models/m@sha256:" + "0a" * 32,
    "oci://m:v1@sha256:" + "0a" * 32,
    "gs://bucket/path@2",
])
def test_model_sources_with_at_are_not_urls_with_credentials(source: str) -> None:
    assert scan({"spec": {"model": {"source": source}}}) == []


# ----------------------------------------------------------------- key-shaped flags

@pytest.mark.parametrize(("args", "engine", "at", "flag", "hint"), [
    (["--api-key=abc"], None, 0, "api-key", VLLM_KEY_HINT),
    (["--api-key", "abc"], None, 1, "api-key", VLLM_KEY_HINT),
    (["--API_KEY=abc"], None, 0, "api-key", VLLM_KEY_HINT),
    (["--token", "abc"], "sglang", 1, "token",
     KEY_HINT + "give it as server.env: {NAME: " + FROM_SECRET),
    (["--hf-token=abc"], None, 0, "hf-token", HF_HINT),
    (["--api-key=" + "sk" + "-proj-" + ALNUM], None, 0, None, REVOKE),
])
def test_key_flag_with_a_literal_is_one_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                              args: list[str], engine: str | None, at: int,
                                              flag: str | None, hint: str) -> None:
    server = {"args": args, **({"engine": engine} if engine else {})}
    text = MODEL + "  server: " + json.dumps(server) + "\n"
    column = text.splitlines()[9].index(json.dumps(args[at])) + 1
    message = (f"--{flag} is given a literal value; {GIT}" if flag else
               f"this looks like an OpenAI API key; {GIT}")
    run = render(tmp_path, monkeypatch, {"m.yaml": text})
    assert_fails(run, [f"specs/m.yaml:10:{column}: error[check] spec.server.args[{at}]: "
                       f"{message} (hint: {hint})"])


@pytest.mark.parametrize("args", [
    ["--api-key=$(VLLM_API_KEY)"],  # Kubernetes puts the environment's value there
    ["--api-key", "$(VLLM_API_KEY)"],
    ["--api-key"],
    ["--api-key", "--port=8000"],
    ["--max-num-batched-tokens=8192", "--tokenizer=org/m"],
])
def test_key_flags_without_a_literal_pass(args: list[str]) -> None:
    assert scan({"spec": {"server": {"args": args}}}) == []


@pytest.mark.parametrize("env", [
    {"HF_HUB_DISABLE_IMPLICIT_TOKEN": "1"},  # switches and counts are settings
    {"USE_TOKEN": "true"},
    {"VLLM_API_KEY": "$(FROM_A_SECRET)"},
    {"MAX_TOTAL_TOKENS": "hello-world"},  # not a key-shaped name
])
def test_key_env_without_a_literal_key_passes(env: dict[str, str]) -> None:
    assert scan({"spec": {"server": {"env": env}}}) == []


@pytest.mark.parametrize(("name", "hint"), [
    ("VLLM_API_KEY", KEY_HINT + "give it as server.env: {VLLM_API_KEY: " + FROM_SECRET),
    ("HF_TOKEN", HF_HINT),
    ("DB_PASSWORD", KEY_HINT + "give it as server.env: {DB_PASSWORD: " + FROM_SECRET),
])
def test_key_env_with_a_literal_is_one_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                             name: str, hint: str) -> None:
    text = MODEL + f"  server:\n    env:\n      {name}: abc\n"
    run = render(tmp_path, monkeypatch, {"m.yaml": text})
    column = 9 + len(name)
    assert_fails(run, [f"specs/m.yaml:12:{column}: error[check] spec.server.env.{name}: "
                       f"{name} is given a literal value; {GIT} (hint: {hint})"])


def test_a_secret_in_a_schema_invalid_document_is_still_reported(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    text = MODEL + "  server: {args: {a: \"--api-key=abc\"}, env: [\"" + "AK" + "IA" + UPPER \
        + "\"]}\n"
    run = without_waiver(render(tmp_path, monkeypatch, {"m.yaml": text}))
    assert any(": error[check] spec.server.env[0]: this looks like an AWS access key id"
               in line for line in run.errors), run.stderr
    assert_fails(run, run.errors)


# ---------------------------------------------------------------- no false positives

def _spec_files() -> list[Path]:
    folders = [ROOT / "specs", ROOT / "examples", ROOT / "tests" / "cases"]
    return sorted(p for folder in folders for p in folder.rglob("*.y*ml")
                  if "expected" not in p.relative_to(ROOT).parts)


def test_no_example_spec_or_golden_case_trips_the_scanner() -> None:
    files = _spec_files()
    assert len(files) > 50
    for file in files:
        documents, _ = parse(file.read_text(encoding="utf-8"), str(file))
        for document in documents:
            assert scan(document.data) == [], file


# ------------------------------------------------------------------------ waivers

_WAIVED = MODEL.replace("  name: m\n", f"""\
  name: m
  secretExceptions:
    - field: spec.server.args[1]
      fingerprint: "{fingerprint('sandbox-public')}"
      reason: the public key of the vendor's open sandbox, not a credential
""") + "  server:\n    args: [--api-key, sandbox-public]\n"


def test_a_waived_field_passes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    run = render(tmp_path, monkeypatch, {"m.yaml": _WAIVED})
    assert run.exit_code == 0, run.stderr
    assert run.warnings == [unsized("11:13")]
    assert not any("secretExceptions" in text.decode() or "sandbox the" in text.decode()
                   for text in run.out_after.values())


def test_a_waiver_covers_its_field_only(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    text = _WAIVED.replace("[--api-key, sandbox-public]", "[--api-key, sandbox-public, --token=x]")
    run = render(tmp_path, monkeypatch, {"m.yaml": text})
    assert_fails(run, [
        f"specs/m.yaml:15:39: error[check] spec.server.args[2]: --token is given a literal "
        f"value; {GIT} (hint: {KEY_HINT}give it as server.env: {{NAME: {FROM_SECRET})"])


def test_a_waiver_binds_the_value_another_one_is_refused_again(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    text = _WAIVED.replace("[--api-key, sandbox-public]", "[--api-key, pasted-later-7f3a9]")
    run = render(tmp_path, monkeypatch, {"m.yaml": text})
    _assert_fails(run, [
        f"specs/m.yaml:15:23: error[check] spec.server.args[1]: --api-key is given a literal "
        f"value; {GIT} (hint: {VLLM_KEY_HINT}; if it is no credential, waive it in "
        f"metadata.secretExceptions: {{field: spec.server.args[1], fingerprint: "
        f"\"{fingerprint('pasted-later-7f3a9')}\", reason: WHY}})"],
        ["specs/m.yaml:6:14: warning[check] metadata.secretExceptions[0].field: secret "
         "exception for spec.server.args[1], where the scanner finds nothing with that "
         "fingerprint (hint: remove the exception, or give the fingerprint the scanner prints "
         "for the value there now)"])
    assert "pasted-later-7f3a9" not in run.stderr


def test_the_printed_fingerprint_waives_the_value(tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    value = "sk" + "-" + ALNUM
    # a string option: vLLM refuses a non-number --seed before any scan matters
    text = MODEL + f"  server:\n    args: [--tokenizer-revision, \"{value}\"]\n"
    run = render(tmp_path, monkeypatch, {"m.yaml": text})
    printed = re.search(r'fingerprint: "(sha256:[0-9a-f]{64})"', run.stderr)
    assert run.exit_code == 1 and printed, run.stderr
    waived = text.replace("  name: m\n", "  name: m\n  secretExceptions:\n    - {field: "
                          f"\"spec.server.args[1]\", fingerprint: \"{printed.group(1)}\", "
                          "reason: \"the vendor's documented sandbox key\"}\n")
    run = render(tmp_path, monkeypatch, {"m.yaml": waived})
    assert run.exit_code == 0, run.stderr


def test_a_waiver_needs_a_fingerprint(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    text = "\n".join(line for line in _WAIVED.splitlines() if "fingerprint" not in line) + "\n"
    run = render(tmp_path, monkeypatch, {"m.yaml": text})
    assert "specs/m.yaml:6:7: error[schema] metadata.secretExceptions[0]: missing required " \
        "field 'fingerprint'" in run.errors
    assert_fails(run, without_waiver(run).errors)


def test_a_waiver_needs_a_reason(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    text = _WAIVED.replace(
        "      reason: the public key of the vendor's open sandbox, not a credential\n", "")
    run = render(tmp_path, monkeypatch, {"m.yaml": text})
    assert_fails(run, [
        "specs/m.yaml:6:7: error[schema] metadata.secretExceptions[0]: missing required field "
        "'reason'",
        f"specs/m.yaml:14:23: error[check] spec.server.args[1]: --api-key is given a literal "
        f"value; {GIT} (hint: {VLLM_KEY_HINT})"])


def test_a_waiver_that_waives_nothing_warns(tmp_path: Path,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    text = _WAIVED.replace("[--api-key, sandbox-public]", "[--seed, \"7\"]")
    run = render(tmp_path, monkeypatch, {"m.yaml": text})
    assert run.exit_code == 0, run.stderr
    assert run.warnings == [
        "specs/m.yaml:6:14: warning[check] metadata.secretExceptions[0].field: secret "
        "exception for spec.server.args[1], where the scanner finds nothing with that "
        "fingerprint (hint: remove the exception, or give the fingerprint the scanner prints "
        "for the value there now)", unsized("11:13")]


def test_the_platform_takes_waivers_too(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    platform = PLATFORM.replace("  name: acme\n", f"""\
  name: acme
  secretExceptions:
    - field: spec.environments[0].defaults.server.env.DEMO_TOKEN
      fingerprint: "{fingerprint('sandbox-demo-1')}"
      reason: a placeholder the sandbox image expects, not a credential
""").replace("      clusters: [dev-1]\n", """\
      clusters: [dev-1]
      defaults: {server: {env: {DEMO_TOKEN: sandbox-demo-1}}}
""")
    run = render(tmp_path, monkeypatch, {"m.yaml": MODEL, "platform.yaml": platform})
    assert run.exit_code == 0, run.stderr
    unwaived = platform.replace("DEMO_TOKEN\n", "OTHER_TOKEN\n")
    run = render(tmp_path, monkeypatch, {"m.yaml": MODEL, "platform.yaml": unwaived})
    assert [line.split(": error")[1][:40] for line in run.errors] == [
        "[check] spec.environments[0].defaults.se"]


def test_a_key_from_a_secret_reaches_the_engine_and_never_its_value(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # the alternative every key hint names: server.env from a Secret's key
    text = MODEL + ("  server:\n    env:\n      VLLM_API_KEY: {secretKeyRef: {name: vllm-api, "
                    "key: key}}\n      VLLM_LOGGING_LEVEL: INFO\n")
    run = render(tmp_path, monkeypatch, {"m.yaml": text})
    assert run.exit_code == 0, run.stderr
    deployments = [yaml.safe_load(t) for p, t in run.out_after.items()
                   if p.startswith("dev/") and p.endswith("/deployment.yaml")]
    env = deployments[0]["spec"]["template"]["spec"]["containers"][0]["env"]
    assert {"name": "VLLM_API_KEY",
            "valueFrom": {"secretKeyRef": {"name": "vllm-api", "key": "key"}}} in env
    assert {"name": "VLLM_LOGGING_LEVEL", "value": "INFO"} in env


def test_a_secret_reference_is_checked_by_the_schema(tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    text = MODEL + "  server:\n    env:\n      VLLM_API_KEY: {secretKeyRef: {name: vllm-api}}\n"
    run = render(tmp_path, monkeypatch, {"m.yaml": text})
    assert run.exit_code == 1
    assert [line.split(": error")[0] for line in run.errors] == ["specs/m.yaml:12:36"]
    assert run.errors[0].endswith("secretKeyRef: missing required field 'key'")


# what a spec holds that looks random, and the placeholders docs write for a key
NEVER_FLAGGED = [
    "XXXXXXXXXXXXXXXXXXXX", "<your-token>", "<YOUR_API_KEY>", "${OPENAI_API_KEY}",
    "$(VLLM_API_KEY)", "changeme", "{{ .Values.token }}",
    "AK" + "IAIOSFODNN7EXAMPLE",  # AWS's documented example key id
    "wJalrXUtnFEMI/K7MDENG/bPxRfiCY" + "EXAMPLEKEY",  # and secret
    "sk-" + "your-openai-key-here-xxxxxxxxxxxxxxxx",
    "sha256:" + "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
    "us-docker.pkg.dev/p/r/vllm@sha256:"
    "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
    "3f9a0c7d1e2b8a4f6c5d9e0b7a1c3e5f2d4b6a8c",  # a commit id
    "hf://meta-llama/Llama-3.1-8B-Instruct@0e9e39f249a16976918f6564b8830bc894c89659",
    "123e4567-e89b-12d3-a456-426614174000",
    "projects/acme-prod/locations/us/keyRings/serving/cryptoKeys/weights",
    "projects/acme-prod/locations/us/keyRings/serving/cryptoKeys/weights/cryptoKeyVersions/3",
    "projects/acme-prod/secrets/hf-token/versions/latest",
    "gs://acme-models/llama-3.1-8b/", "oci://us-docker.pkg.dev/acme/models/llama:v1",
    "--max-model-len=8192", "--tokenizer=meta-llama/Llama-3.1-8B-Instruct",
    "--kv-cache-dtype=fp8_e4m3", "--served-model-name=llama-3.1-8b-instruct",
    "the vendor image writes /opt/app at start", "nvidia-h100-80gb", "inference",
]


@pytest.mark.parametrize("value", NEVER_FLAGGED)
@pytest.mark.parametrize("where", ["env", "args", "reason", "label"])
def test_placeholders_and_identifiers_are_never_flagged(value: str, where: str) -> None:
    data = {"env": {"spec": {"server": {"env": {"MODEL_NOTE": value, "HF_TOKEN": value}}}},
            "args": {"spec": {"server": {"args": [value], "command": [value]}}},
            "reason": {"spec": {"server": {"security": {"reason": value}}}},
            "label": {"metadata": {"labels": {"team": value}}}}[where]
    if where == "env" and not value.startswith(("<", "$", "{", "X", "changeme")) \
            and "EXAMPLE" not in value and "your" not in value:
        del data["spec"]["server"]["env"]["HF_TOKEN"]  # a literal there is a key anyway
    assert scan(data) == []


@pytest.mark.parametrize(("name", "flagged"), [
    ("WANDB_KEY", True), ("OPENAI_KEY", True), ("DB_PASS", True), ("MYSQL_PASSWD", True),
    ("APIKEY", True), ("PASSWD", True), ("SSH_KEY_FILE", False), ("CACHE_KEY", False),
    ("TOKENIZERS_PARALLELISM", False), ("VLLM_LOGGING_LEVEL", False)])
def test_key_shaped_variable_names(name: str, flagged: bool) -> None:
    assert bool(scan({"spec": {"server": {"env": {name: "s3cr3t-Value"}}}})) is flagged
