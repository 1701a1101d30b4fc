"""Secrets only by reference: a value in a spec that looks like a token is refused."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from generator.checks.common import STEP
from generator.diagnostics import Diagnostic
from generator.spec.load import Source

_HF_TOKEN = re.compile(r"hf_[A-Za-z0-9]{30,}")


# a long run of base64 with upper case, lower case and digits, that is not plain hex (a
# revision or digest)
_BASE64 = re.compile(r"[A-Za-z0-9+/]{40,}={0,2}")


def _looks_secret(value: str, free_text: bool) -> bool:
    if _HF_TOKEN.search(value):
        return True
    if not free_text:
        return False
    for run in _BASE64.findall(value):
        if (re.search(r"[A-Z]", run) and re.search(r"[a-z]", run) and re.search(r"\d", run)
                and not re.fullmatch(r"[0-9a-fA-F]+", run)):
            return True
    return False


def _strings(value: Any, path: tuple[str | int, ...] = ()) -> Iterator[
        tuple[tuple[str | int, ...], str]]:
    if isinstance(value, str):
        yield path, value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _strings(item, (*path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _strings(item, (*path, index))


def no_inline_secrets(source: Source) -> Iterator[Diagnostic]:
    """Secrets come by reference: a value that looks like a token is refused."""
    for path, value in _strings(source.document.data):
        # env values and args are where a pasted secret would land
        free_text = any(part in ("env", "args") for part in path)
        if _looks_secret(value, free_text):
            yield source.document.locate(path).diagnostic(
                STEP, "this looks like a secret token; specs are committed to Git",
                "put it in a Kubernetes Secret and name it in model.tokenSecret")
