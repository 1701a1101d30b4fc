"""Bad input never hurts: template and YAML injection.

A free-text spec value that reaches the output (server.args, server.command, server.env
values, model.source, adapter sources, server.image, paths, the security reason) must
never change the structure of what is rendered. Each test renders a spec twice: once with
a harmless marker in the field, once with the marker replaced by a payload holding one
metacharacter. Every output file of both renders is parsed back; the two trees must have
the same files and the same structure, differing only in that every string that held the
marker now holds the payload, intact. A field whose schema or checks forbid the payload
(no whitespace in a source or an image; a model source is hf://ORG/NAME) must refuse it
with exit 1 and errors at that field only; free text must take every payload.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner

from generator.cli import main

MARK = "zq7mark"

PLATFORM = """\
apiVersion: infergen.dev/v1alpha1
kind: Platform
metadata: {name: acme}
spec:
  configSync: {repo: https://example.com/config.git}
  environments:
    - name: prod
      clusters: [prod-1]
"""

VLLM = """\
apiVersion: infergen.dev/v1alpha1
kind: ModelDeployment
metadata: {{name: m, namespace: llm}}
spec:
  model:
    source: {source}
    adapters:
      - {{name: sql, source: {adapter}}}
  server:
    args: [{arg}]
    env: {{EXTRA: {env}}}
    security: {{runAsRoot: true, reason: {reason}}}
  accelerator: {{type: nvidia-l4}}
"""

CUSTOM = """\
apiVersion: infergen.dev/v1alpha1
kind: ModelDeployment
metadata: {{name: c, namespace: llm}}
spec:
  model: {{source: hf://org/c}}
  server:
    engine: custom
    image: {image}
    command: [{command}]
    port: 9000
    healthPath: {health}
    metrics: {{port: 9100, path: {metrics}}}
  accelerator: {{type: nvidia-l4}}
"""

_DEFAULTS = {"source": "hf://org/m", "adapter": "gs://acme-models/adapters/sql", "arg": "--seed=1",
             "env": "v", "reason": "the image writes to its home folder",
             "image": "example.com/c:1", "command": "serve", "health": "/ready",
             "metrics": "/metrics"}


# field -> (template, placeholder key, value with the marker, None for free text that
# must take any payload, else the diagnostic path where a payload its schema or checks
# forbid is refused)
FIELDS: dict[str, tuple[str, str, str, str | None]] = {
    "server.args": (VLLM, "arg", f"--chat-template={MARK}", None),
    "server.env": (VLLM, "env", MARK, None),
    "server.security.reason": (VLLM, "reason", f"needs root {MARK}", None),
    "server.command": (CUSTOM, "command", MARK, None),
    "model.source": (VLLM, "source", f"hf://org/{MARK}", "spec.model.source"),
    "model.adapters.source": (VLLM, "adapter", f"gs://acme-models/{MARK}",
                              "spec.model.adapters[0].source"),
    "server.image": (CUSTOM, "image", f"example.com/{MARK}:1", "spec.server.image"),
    "server.healthPath": (CUSTOM, "health", f"/{MARK}", "spec.server.healthPath"),
    "server.metrics.path": (CUSTOM, "metrics", f"/{MARK}", "spec.server.metrics.path"),
}

# one metacharacter (or family) each; every payload keeps the value a string
PAYLOADS = {
    "newline": "a\nb: c\n- d",
    "colon-space": "a: b",
    "jinja": "{{ x }}{% if 1 %}y{% endif %}{#c#}",
    "jinja-tight": "{{x}}{%raw%}",
    "document-separator": "---",
    "document-separator-in-lines": "a\n---\nkind: Secret\n...",
    "hash": "a #b",
    "hash-start": "#x",
    "double-quote": 'a"b',
    "single-quote": "a'b",
    "unicode": "mod\u00e8le-\u6a21\u578b-\U0001f680-\u200b-\u202e",
    "flow": "{a: 1, b: [2]}",
    "block-indicator": "|\n  x",
    "anchor-alias-tag": "&a *a !!python/object:os.system",
    "list-dash": "- x",
    "percent-directive": "%YAML 1.1",
    "backslash": "a\\nb\\u0041",
    "tab": "a\tb",
    "crlf": "a\r\nb",
    "leading-trailing-space": "  a  ",
    "bool-like": "yes",
    "null-like": "~",
    "number-like": "0x1F",
}


def _value(field: str, payload: str) -> str:
    return FIELDS[field][2].replace(MARK, payload)


def _render_spec(tmp: Path, text: str) -> tuple[int, str, dict[str, Any]]:
    specs = tmp / "specs"
    specs.mkdir(parents=True, exist_ok=True)
    (specs / "platform.yaml").write_text(PLATFORM, encoding="utf-8")
    (specs / "m.yaml").write_text(text, encoding="utf-8")
    out = tmp / "rendered"
    result = CliRunner().invoke(main, ["render", "--specs", str(specs), "--out", str(out)])
    assert "Traceback" not in result.output, result.output
    assert result.exit_code in (0, 1), result.output
    tree: dict[str, Any] = {}
    if out.is_dir():
        for path in sorted(out.rglob("*")):
            if path.is_file():
                docs = list(yaml.safe_load_all(path.read_text(encoding="utf-8")))
                assert len(docs) == 1, f"{path} holds {len(docs)} documents"
                tree[path.relative_to(out).as_posix()] = docs[0]
    return result.exit_code, result.stderr, tree


def _spec(field: str, value: str) -> str:
    template, key, _, _ = FIELDS[field]
    values = {k: json.dumps(v, ensure_ascii=False) for k, v in _DEFAULTS.items()}  # JSON is YAML
    values[key] = json.dumps(value, ensure_ascii=False)
    return template.format(**values)


def _substituted(expected: Any, payload: str, count: list[int]) -> Any:
    """The baseline tree with the marker replaced by the payload in every string."""
    if isinstance(expected, dict):
        return {_substituted(k, payload, count): _substituted(v, payload, count)
                for k, v in expected.items()}
    if isinstance(expected, list):
        return [_substituted(item, payload, count) for item in expected]
    if isinstance(expected, str) and MARK in expected:
        count[0] += 1
        return expected.replace(MARK, payload)
    return expected


_BASELINES: dict[str, dict[str, Any]] = {}


def _baseline(field: str, tmp: Path) -> dict[str, Any]:
    if field not in _BASELINES:
        code, stderr, tree = _render_spec(tmp / "baseline", _spec(field, FIELDS[field][2]))
        assert code == 0, stderr
        _BASELINES[field] = tree
    return _BASELINES[field]


def _check(field: str, payload: str, tmp_path: Path) -> None:
    baseline = _baseline(field, tmp_path)
    code, stderr, tree = _render_spec(tmp_path / "injected", _spec(field, _value(field, payload)))
    refused_at = FIELDS[field][3]
    if refused_at is not None and any(c.isspace() for c in payload):
        assert code == 1, f"{field} accepted whitespace: {payload!r}"
    if code == 1 and refused_at is not None:  # refused where it is written, nothing else
        errors = [line for line in stderr.splitlines() if ": error[" in line]
        assert errors and all(f"] {refused_at}:" in line for line in errors), stderr
        assert tree == {}
        return
    assert code == 0, stderr
    count = [0]
    expected = _substituted(baseline, payload, count)
    assert count[0] > 0, f"{field}: the marker never reached the output"
    assert sorted(tree) == sorted(expected), "files added or removed"
    for path in expected:
        assert tree[path] == expected[path], f"{path}: structure changed by {payload!r}"


@pytest.mark.parametrize("field", sorted(FIELDS))
@pytest.mark.parametrize("name", sorted(PAYLOADS))
def test_a_metacharacter_never_changes_the_output_structure(field: str, name: str,
                                                            tmp_path: Path) -> None:
    _check(field, PAYLOADS[name], tmp_path)


def test_every_field_reaches_the_output(tmp_path: Path) -> None:
    # the marker test above is only meaningful if each field is really rendered somewhere
    where: dict[str, list[str]] = {}
    for field in FIELDS:
        tree = _baseline(field, tmp_path / field.replace(".", "-"))
        where[field] = [p for p, doc in tree.items() if MARK in json.dumps(doc)]
    assert all(where.values()), {f: w for f, w in where.items() if not w}


