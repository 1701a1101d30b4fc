"""gitleaks' own samples (tests/data/credentials, MIT licence) as a corpus: each true
positive is put into every kind of field of a spec, and the scanner must refuse at least 95%
of them in each; an end-to-end render of a sample of them shows nothing reaches the tree and
no message repeats one."""

from __future__ import annotations

import gzip
import json
import random
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from generator.checks.secrets import scan
from tests.conftest import ROOT
from tests.errorcases import MODEL, render

CORPUS = yaml.safe_load(gzip.decompress(
    (ROOT / "tests" / "data" / "credentials" / "gitleaks-samples.yaml.gz").read_bytes()))
TRUE = sorted({s for rule in CORPUS.values() for s in rule.get("tps", ())})

# where a value can be written: a spec's data with `value` there
FIELDS: dict[str, Callable[[str], dict[str, Any]]] = {
    "env value": lambda v: {"spec": {"server": {"env": {"NOTE": v}}}},
    "args": lambda v: {"spec": {"server": {"args": [v]}}},
    "command": lambda v: {"spec": {"server": {"command": [v]}}},
    "label value": lambda v: {"metadata": {"labels": {"team": v}}},
    "label key": lambda v: {"metadata": {"labels": {v: "x"}}},
    "security reason": lambda v: {"spec": {"server": {"security": {"reason": v}}}},
    "waiver reason": lambda v: {"metadata": {"secretExceptions": [{"field": "a", "reason": v}]}},
    "waiver field": lambda v: {"metadata": {"secretExceptions": [{"field": v, "reason": "r"}]}},
    "model source": lambda v: {"spec": {"model": {"source": v}}},
    "image": lambda v: {"spec": {"server": {"image": v}}},
    "name": lambda v: {"metadata": {"name": v}},
    "config sync repo": lambda v: {"spec": {"configSync": {"repo": v}}},
}


def test_the_corpus_is_gitleaks_samples() -> None:
    assert len(CORPUS) > 100 and len(TRUE) > 5000


@pytest.mark.parametrize("field", FIELDS)
def test_at_least_95_percent_are_refused_in_every_field(field: str) -> None:
    missed = [s for s in TRUE if not scan(FIELDS[field](s))]
    assert len(missed) / len(TRUE) <= 0.05, (len(missed), missed[:5])


def test_false_positive_samples_are_mostly_passed() -> None:
    false = sorted({s for rule in CORPUS.values() for s in rule.get("fps", ())})
    flagged = [s for s in false if scan({"metadata": {"labels": {"team": s}}})]
    assert len(flagged) / len(false) <= 0.10, flagged[:5]


def _pick(count: int) -> list[str]:
    caught = [s for s in TRUE if scan(FIELDS["security reason"](s))]
    return random.Random(22).sample(caught, count)


@pytest.mark.parametrize("sample", _pick(12))
def test_a_refused_credential_never_reaches_the_tree_nor_a_message(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, sample: str) -> None:
    text = MODEL + ("  server:\n    security: {runAsRoot: true, reason: " + json.dumps(sample)
                    + "}\n    env:\n      " + json.dumps(sample[:60]) + ": x\n")
    run = render(tmp_path, monkeypatch, {"m.yaml": text})
    assert run.exit_code == 1, run.stderr
    assert run.out_after == run.out_before
    shown = run.stdout + run.stderr
    assert sample not in shown
    assert json.dumps(sample)[1:-1] not in shown
