"""Parse `model.source` URIs: hf://ORG/NAME[@REVISION], gs://BUCKET[/PATH], oci://IMAGE."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

_HF = re.compile(r"^hf://(?P<repo>[A-Za-z0-9][-\w.]*/[-\w.]+)(@(?P<revision>[-\w./]+))?$")
# bucket names: 3-63 lower-case letters, digits, '-', '_' and '.'
_GS = re.compile(r"^gs://(?P<bucket>[a-z0-9][-a-z0-9_.]{1,61}[a-z0-9])(/(?P<path>[^\s]*))?$")
_OCI = re.compile(r"^oci://(?P<image>[a-z0-9][-a-z0-9._]*(:[0-9]+)?(/[-a-z0-9._]+)+"
                  r"(:[\w][\w.-]{0,127}|@sha256:[0-9a-f]{64}))$")


@dataclass(frozen=True)
class HuggingFace:
    repo: str
    revision: str | None

    @property
    def name(self) -> str:
        return self.repo


@dataclass(frozen=True)
class CloudStorage:
    bucket: str
    path: str  # inside the bucket, no leading or trailing '/'; "" for the whole bucket

    @property
    def name(self) -> str:
        return self.path.rsplit("/", 1)[-1] or self.bucket


@dataclass(frozen=True)
class Image:
    reference: str  # pinned: a tag or a digest

    @property
    def name(self) -> str:
        return re.split(r"[:@]", self.reference.rsplit("/", 1)[-1])[0]


Source = HuggingFace | CloudStorage | Image

FORMS = ("hf://ORG/NAME[@REVISION]", "gs://BUCKET[/PATH]", "oci://REGISTRY/IMAGE:TAG")


def parse(source: str) -> Source | None:
    """The source a URI names, or None when it is malformed."""
    if match := _HF.match(source):
        return HuggingFace(match["repo"], match["revision"])
    if match := _GS.match(source):
        return CloudStorage(match["bucket"], (match["path"] or "").strip("/"))
    if match := _OCI.match(source):
        return Image(match["image"])
    return None


def kind(source: Source) -> str:
    """hf, gs or oci."""
    if isinstance(source, HuggingFace):
        return "hf"
    return "gs" if isinstance(source, CloudStorage) else "oci"


def repo_id(source: CloudStorage) -> str:
    """ORG/NAME: the last two folders of a bucket path laid out as a Hugging Face cache."""
    return "/".join(source.path.split("/")[-2:])


def served_names(spec: dict[str, Any], source: Source) -> list[str]:
    """The names clients put in a request's "model" field: model.servedName, else the
    model id."""
    given = spec["model"].get("servedName")
    if given is None:
        return [source.name]
    return [given] if isinstance(given, str) else list(given)
