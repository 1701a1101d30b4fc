"""Secrets only by reference: one scanner over every string of every spec document.

Specs are committed to Git, so a credential written in one is refused wherever it is: a key
or a value, in a ModelDeployment or the Platform. Three rules, first match wins, at most
one problem per string:

- a URL carrying credentials (`https://user:token@host`);
- a known credential shape (catalog/credentials.yaml: vendor prefixes, PEM keys, JWTs...);
- a key-shaped flag or environment variable (`--api-key=...`, `VLLM_API_KEY: ...`) given a
  literal value.

The message never repeats the value: the diagnostic itself may land in a CI log.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from typing import Any

from generator.catalog import read_data
from generator.checks.common import STEP
from generator.diagnostics import Diagnostic, dotted
from generator.spec.load import Source

Path = tuple[str | int, ...]
_ENV_REFERENCE = re.compile(r"\$\([A-Za-z_][A-Za-z0-9_]*\)")  # Kubernetes expands $(NAME)


@dataclass(frozen=True)
class _Shape:
    name: str
    pattern: re.Pattern[str]
    hint: str
    fields: frozenset[str]  # only under these field names; empty: anywhere


@dataclass(frozen=True)
class _Rules:
    shapes: tuple[_Shape, ...]
    url: re.Pattern[str]
    url_hint: str
    flags: frozenset[str]
    env_suffixes: tuple[str, ...]
    engine_env: dict[str, tuple[str, str]]  # engine -> (its name, the variable it reads)
    anywhere: re.Pattern[str]  # any shape that applies everywhere: one search per string


_SECRET_HINT = "put it in a Kubernetes Secret, and revoke it: it may already be in Git history"


@cache
def _rules() -> _Rules:
    data = read_data("credentials.yaml")
    shapes = tuple(_Shape(s["name"], re.compile(s["pattern"]), s.get("hint", _SECRET_HINT),
                          frozenset(s.get("fields", ()))) for s in data["shapes"])
    return _Rules(
        shapes, re.compile(data["urlUserinfo"]["pattern"]), data["urlUserinfo"]["hint"],
        frozenset(data["keyFlags"]), tuple(data["keyEnv"]["suffixes"]),
        {engine: (e["name"], e["keyEnv"]) for engine, e in data["engines"].items()},
        re.compile("|".join(f"(?:{s.pattern.pattern})" for s in shapes if not s.fields)))


@dataclass(frozen=True)
class Finding:
    """A credential found at `path` (at its key when `at_key`)."""

    path: Path
    at_key: bool
    message: str
    hint: str


_String = tuple[Path, bool, str]  # where, is it a key, the text


def _strings(value: Any, path: Path = ()) -> Iterator[_String]:
    """(path, is it the key, text) for every key and string value, in document order."""
    if isinstance(value, str):
        yield path, False, value
    elif isinstance(value, dict):
        for key, item in value.items():
            if isinstance(key, str):
                yield (*path, key), True, key
            yield from _strings(item, (*path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _strings(item, (*path, index))


def _in_server(path: Path, field: str) -> bool:
    """`path` is an item of server.<field> (args, command) or a value of server.env."""
    return len(path) >= 3 and path[-2] == field and path[-3] == "server"


def _url_userinfo(text: str, rules: _Rules) -> bool:
    if "://" not in text:
        return False
    for match in rules.url.finditer(text):
        scheme, userinfo = match.group(1).lower(), match.group(2)
        if ":" in userinfo or scheme in ("http", "https"):
            return True
    return False


def _shape(path: Path, text: str, rules: _Rules) -> _Shape | None:
    server_field = len(path) >= 3 and path[-3] == "server"
    if not server_field and not rules.anywhere.search(text):
        return None  # the common case: one search, no shape matches
    for shape in rules.shapes:
        if shape.fields and not any(_in_server(path, f) for f in shape.fields):
            continue
        if shape.pattern.search(text):
            return shape
    return None


# a switch or a small number is a setting, not a key (HF_HUB_DISABLE_IMPLICIT_TOKEN: "1")
_SETTING = re.compile(r"(?i:true|false|yes|no|on|off|[0-9]{1,6})")


def _literal(value: str) -> bool:
    """A value written in the spec: not empty, not $(NAME), not a switch or a count."""
    return bool(value) and not _ENV_REFERENCE.fullmatch(value) \
        and not _SETTING.fullmatch(value)


def _engine(data: Any, path: Path) -> str:
    """The engine of the server block holding `path`, else the spec's, else vLLM."""
    if "server" in path:
        depth = len(path) - 1 - path[::-1].index("server")
        server = _get(data, path[: depth + 1])
        if isinstance(server, dict) and isinstance(server.get("engine"), str):
            return str(server["engine"])
    spec = data.get("spec") if isinstance(data, dict) else None
    server = spec.get("server") if isinstance(spec, dict) else None
    engine = server.get("engine") if isinstance(server, dict) else None
    return engine if isinstance(engine, str) else "vllm"


def _article(name: str) -> str:
    return "an" if name[:1].lower() in "aeio" else "a"


def _key_hint(name: str, engine: str, rules: _Rules, variable: str | None = None) -> str:
    """Where the key goes instead: the Hugging Face token field, or server.env from a Secret
    (under `variable`, else the variable the engine reads its API key from)."""
    lowered = name.lower()
    if "hf" in lowered or "hugging" in lowered:
        return "put it in a Secret and name it in model.tokenSecret"
    reader = rules.engine_env.get(engine) if "api" in lowered else None
    reads = f"{reader[0]} reads its key from {reader[1]} in its environment; " \
        if reader and variable is None else ""
    variable = variable or (reader[1] if reader else "NAME")
    return (f"a key comes from a Secret, never the spec: {reads}give it as server.env: "
            f"{{{variable}: {{secretKeyRef: {{name: SECRET, key: KEY}}}}}}")


def _flag(item: str) -> str | None:
    """The flag's name, lower case with dashes, when `item` is one (`--api-key[=...]`)."""
    if not item.startswith("--"):
        return None
    return item[2:].split("=", 1)[0].lower().replace("_", "-")


def _key_flags(data: Any, strings: list[_String], rules: _Rules) -> Iterator[Finding]:
    """--api-key=VALUE, or --api-key VALUE as two items, in server.args and command."""
    for path, at_key, text in strings:
        if at_key or not (_in_server(path, "args") or _in_server(path, "command")):
            continue
        name = _flag(text)
        if name not in rules.flags:
            continue
        items, index = _get(data, path[:-1]), path[-1]
        if not isinstance(items, list) or not isinstance(index, int):
            continue  # not a list of arguments: the schema says so
        if "=" in text:
            value, where = text.split("=", 1)[1], path
        elif index + 1 < len(items) and isinstance(items[index + 1], str) \
                and not items[index + 1].startswith("-"):
            value, where = items[index + 1], (*path[:-1], index + 1)
        else:
            continue
        if _literal(value):
            yield Finding(where, False, f"--{name} is given a literal value; specs are "
                          "committed to Git", _key_hint(name, _engine(data, path), rules))


def _key_env(data: Any, strings: list[_String], rules: _Rules) -> Iterator[Finding]:
    """API_KEY: VALUE and the like in server.env."""
    for path, at_key, text in strings:
        if at_key or not _in_server(path, "env"):
            continue
        name = str(path[-1])
        if name.upper().endswith(rules.env_suffixes) and _literal(text):
            yield Finding(path, False, f"{name} is given a literal value; specs are "
                          "committed to Git", _key_hint(name, _engine(data, path), rules, name))


def _get(data: Any, path: Path) -> Any:
    for part in path:
        data = data[part]
    return data


def scan(data: Any) -> list[Finding]:
    """Every credential in a document's data, at most one per string."""
    rules = _rules()
    strings = list(_strings(data))
    found: dict[tuple[Path, bool], Finding] = {}
    for path, at_key, text in strings:
        if path[:2] == ("metadata", "secretExceptions") and path[-1] == "field":
            continue  # names a field (perhaps by a key that is itself the finding)
        if _url_userinfo(text, rules):
            found.setdefault((path, at_key), Finding(
                path, at_key, "this URL carries credentials (user:password@ or a token as "
                "the user); specs are committed to Git", rules.url_hint))
            continue
        shape = _shape(path, text, rules)
        if shape is not None:
            found.setdefault((path, at_key), Finding(
                path, at_key, f"this looks like {_article(shape.name)} {shape.name}; specs are "
                "committed to Git", shape.hint))
    for finding in (*_key_flags(data, strings, rules), *_key_env(data, strings, rules)):
        found.setdefault((finding.path, finding.at_key), finding)
    return list(found.values())


def _exceptions(data: Any) -> list[tuple[int, str]]:
    """(index, field) of each metadata.secretExceptions entry that gives a reason (one
    without is a schema error, and waives nothing)."""
    metadata = data.get("metadata") if isinstance(data, dict) else None
    entries = metadata.get("secretExceptions") if isinstance(metadata, dict) else None
    if not isinstance(entries, list):
        return []
    return [(index, entry["field"]) for index, entry in enumerate(entries)
            if isinstance(entry, dict) and isinstance(entry.get("field"), str)
            and isinstance(entry.get("reason"), str) and entry["reason"].strip()]


def no_inline_secrets(source: Source) -> Iterator[Diagnostic]:
    """Secrets come by reference: no credential anywhere in a spec document, except in a
    field waived, with a reason, in metadata.secretExceptions."""
    doc = source.document
    waived = dict((field, index) for index, field in _exceptions(doc.data))
    used: set[str] = set()
    for finding in scan(doc.data):
        field = dotted(finding.path)
        if field in waived:
            used.add(field)
            continue
        yield doc.locate(finding.path, at_key=finding.at_key).diagnostic(
            STEP, finding.message, finding.hint)
    for field, index in sorted(waived.items(), key=lambda item: item[1]):
        if field not in used:
            yield doc.locate(("metadata", "secretExceptions", index, "field")).diagnostic(
                STEP, f"secret exception for {field}, where the scanner finds nothing",
                "remove the exception", "warning")
