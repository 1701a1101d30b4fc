"""A rendered MaxText server (engine jetstream-maxtext) against MaxText's command line at the
pinned release (catalog/maxtext.py): a config file of the release, then `key=value` settings,
each a key of its base.yml, none twice, none the model's own config sets (MaxText refuses
those at start). The specs were checked by now, so a failure is a bug in infergen."""

from __future__ import annotations

from typing import Any

from generator.catalog.engine_contracts import ENGINE_CONTAINER
from generator.catalog.maxtext import maxtext
from generator.verify.engine_contract import pod_specs


def problems(obj: dict[str, Any]) -> list[str]:
    found: list[str] = []
    for pod in pod_specs(obj):
        for container in pod.get("containers", []):
            if container.get("name") == ENGINE_CONTAINER:
                found += _server(list(container.get("args", [])))
    return sorted(set(found))


def _server(args: list[str]) -> list[str]:
    terms = maxtext()
    if not args or args[0] not in terms.configs:
        return [f"starts MaxText without a config file of {terms.version} first"]
    found: list[str] = []
    pairs = [arg.partition("=") for arg in args[1:]]
    keys = [key for key, sep, _ in pairs if sep and not key.startswith("-")]
    found += [f"passes {arg!r}, which is not a MaxText key=value setting"
              for arg, (key, sep, _) in zip(args[1:], pairs, strict=True)
              if not sep or key.startswith("-")]
    found += [f"sets {key}, which MaxText {terms.version} does not define"
              for key in keys if key not in terms.keys]
    found += [f"sets {key} twice" for key in keys if keys.count(key) > 1]
    model = next((value for key, _, value in pairs if key == "model_name"), "")
    found += [f"sets {key}, which MaxText's config of {model} sets too"
              for key in keys if key in terms.models.get(model, frozenset())]
    return found
