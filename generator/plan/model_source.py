"""Parse `model.source` URIs: hf://ORG/NAME[@REVISION], gs://BUCKET[/PATH], oci://IMAGE,
pvc://CLAIM[/PATH]."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

_HF = re.compile(r"^hf://(?P<repo>[A-Za-z0-9][-\w.]*/[-\w.]+)(@(?P<revision>[-\w./]+))?$")
# bucket names: 3-63 lower-case letters, digits, '-', '_' and '.'
_GS = re.compile(r"^gs://(?P<bucket>[a-z0-9][-a-z0-9_.]{1,61}[a-z0-9])(/(?P<path>[^\s]*))?$")
_OCI = re.compile(r"^oci://(?P<image>[a-z0-9][-a-z0-9._]*(:[0-9]+)?(/[-a-z0-9._]+)+"
                  r"(:[\w][\w.-]{0,127}|@sha256:[0-9a-f]{64}))$")
# claim names: a DNS-1123 subdomain; the path inside the volume, without '..'
_PVC = re.compile(r"^pvc://(?P<claim>[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*)"
                  r"(/(?P<path>[^\s]*))?$")


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


@dataclass(frozen=True)
class Claim:
    """Weights already on a PersistentVolumeClaim of the model's namespace."""

    claim: str
    path: str  # inside the volume, no leading or trailing '/'; "" for its root

    @property
    def name(self) -> str:
        return self.path.rsplit("/", 1)[-1] or self.claim


Source = HuggingFace | CloudStorage | Image | Claim

FORMS = ("hf://ORG/NAME[@REVISION]", "gs://BUCKET[/PATH]", "oci://REGISTRY/IMAGE:TAG",
         "pvc://CLAIM[/PATH]")


def parse(source: str) -> Source | None:
    """The source a URI names, or None when it is malformed."""
    if match := _HF.match(source):
        return HuggingFace(match["repo"], match["revision"])
    if match := _GS.match(source):
        return CloudStorage(match["bucket"], (match["path"] or "").strip("/"))
    if match := _OCI.match(source):
        return Image(match["image"])
    if (match := _PVC.match(source)) and ".." not in (match["path"] or "").split("/"):
        return Claim(match["claim"], (match["path"] or "").strip("/"))
    return None


def kind(source: Source) -> str:
    """hf, gs, oci or pvc."""
    if isinstance(source, HuggingFace):
        return "hf"
    if isinstance(source, Claim):
        return "pvc"
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
