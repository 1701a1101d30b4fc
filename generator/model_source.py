"""Parse `model.source` URIs: hf://ORG/NAME[@REVISION], gs://BUCKET/PATH, oci://IMAGE."""

from __future__ import annotations

import re
from dataclasses import dataclass

_HF = re.compile(r"^hf://(?P<repo>[A-Za-z0-9][-\w.]*/[-\w.]+)(@(?P<revision>[-\w./]+))?$")


@dataclass(frozen=True)
class HuggingFace:
    repo: str
    revision: str | None


def parse_hf(source: str) -> HuggingFace | None:
    match = _HF.match(source)
    return HuggingFace(match["repo"], match["revision"]) if match else None
