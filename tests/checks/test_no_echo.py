"""No message repeats a credential it refuses, whatever step wrote the message and however it
is printed: the scanner's own errors, schema errors (which print values), field paths (which
print keys), did-you-mean hints, waivers, in text, JSON and GitHub formats."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.errorcases import MODEL, render

# assembled from pieces, so this file is not itself a credential to scanners
TOKEN = "gh" + "p_" + "aB3dE5fG7hJ9kL1mN3pQ5rS7tU9vW1xY3zA5cD7e"
NGC = "nv" + "api-" + "aB3dE5fG7hJ9kL1mN3pQ5rS7tU9vW1xY3zA5cD7eF9gH1jK3aB3dE5fG7hJ9kL1m"

PLACES = {
    # where the credential is, and the spec that puts it there
    "scanner, env value": MODEL + f"  server:\n    env: {{NOTE: {TOKEN}}}\n",
    "field path, env key": MODEL + f"  server:\n    env: {{{TOKEN}: x}}\n",
    "schema error on a value": MODEL.replace("name: m", f"name: {TOKEN}"),
    "schema error on an enum": MODEL + f"  server: {{engine: {TOKEN}}}\n",
    "unknown field and its hint": MODEL + f"  {TOKEN}: 1\n",
    "unknown field by a near name": MODEL + f"  server: {{imagex: {TOKEN}}}\n",
    "a label value too long": MODEL.replace("name: m", f"name: m\n  labels: {{team: {NGC}}}"),
    "security reason": MODEL + f"  server:\n    security: {{runAsRoot: true, reason: "
                               f"\"see {TOKEN} for the key\"}}\n",
    "waiver entry": MODEL.replace("name: m", "name: m\n  secretExceptions:\n    - {field: "
                                  f"{TOKEN}, reason: \"a token used as a field name\"}}"),
    "waiver reason": MODEL.replace("name: m", "name: m\n  secretExceptions:\n    - {field: a, "
                                   f"fingerprint: x, reason: \"{NGC}\"}}"),
    "wrong type": MODEL + f"  server: {{args: {{{TOKEN}: 1}}}}\n",
    "multi-line value": MODEL + f"  server:\n    env:\n      NOTE: |\n        one\n        "
                                f"{TOKEN}\n",
}


@pytest.mark.parametrize("fmt", ["text", "json", "github"])
@pytest.mark.parametrize("place", PLACES)
def test_no_message_repeats_a_credential(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                         place: str, fmt: str) -> None:
    run = render(tmp_path, monkeypatch, {"m.yaml": PLACES[place]}, args=("--format", fmt))
    shown = run.stdout + run.stderr
    assert run.exit_code == 1, shown
    assert "[redacted]" in shown or "looks like" in shown, shown
    for secret in (TOKEN, NGC):
        assert secret not in shown
        assert secret[:12] not in shown, shown
    assert run.out_after == run.out_before
    if fmt == "json":
        assert json.loads(run.stdout)


@pytest.mark.parametrize("content", [MODEL, "kind: [unclosed\n"], ids=["valid", "unparsable"])
def test_a_spec_named_by_a_credential_is_refused_without_its_name(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, content: str) -> None:
    run = render(tmp_path, monkeypatch, {f"{TOKEN}.yaml": content})
    assert run.exit_code == 1, run.stderr
    assert run.errors == ["specs/[redacted].yaml: error[check] the file's path holds what "
                          "looks like a GitHub token (classic, OAuth, app or refresh) (hint: "
                          "rename the file, and revoke the credential)"], run.stderr
    assert TOKEN not in run.stdout + run.stderr and TOKEN[:12] not in run.stderr
    assert run.out_after == run.out_before
