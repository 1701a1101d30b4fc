"""Secrets only by reference: one scanner over every string of every spec document.

Specs are committed to Git, so a credential written in one is refused wherever it is: a key
or a value (and a `KEY=value` pair, read as one), a waiver's entries, the spec's own path,
in a ModelDeployment or the Platform. Three rules, first match wins, at most one problem
per string:

- a URL carrying credentials (`https://user:token@host`);
- a known credential shape (checks/credentials.py: gitleaks' rules and the vendors' of
  catalog/credentials.yaml; placeholders, digests and resource names are never one);
- a key-shaped flag or environment variable (`--api-key=...`, `WANDB_KEY: ...`) given a
  literal value.

No message repeats what is flagged: redact() hides it in every diagnostic of the document
(schema errors print values, field paths print keys), which may land in a CI log. A value
is waived by its field and fingerprint (the SHA-256 the error prints), so another value
pasted into a waived field is refused again.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace
from functools import cache
from typing import Any

from generator.catalog import read_data
from generator.checks.common import STEP
from generator.checks.credentials import Rule, credential, placeholder, secret_in
from generator.diagnostics import Diagnostic, dotted
from generator.spec.load import Source

Path = tuple[str | int, ...]
_ENV_REFERENCE = re.compile(r"\$\([A-Za-z_][A-Za-z0-9_]*\)")  # Kubernetes expands $(NAME)


@dataclass(frozen=True)
class _Rules:
    url: re.Pattern[str]
    url_hint: str
    flags: frozenset[str]
    env_suffixes: tuple[str, ...]
    env_contains: tuple[str, ...]
    env_settings: tuple[str, ...]
    engine_env: dict[str, tuple[str, str]]  # engine -> (its name, the variable it reads)


@cache
def _rules() -> _Rules:
    data = read_data("credentials.yaml")
    env = data["keyEnv"]
    return _Rules(
        re.compile(data["urlUserinfo"]["pattern"]), data["urlUserinfo"]["hint"],
        frozenset(data["keyFlags"]), tuple(env["suffixes"]), tuple(env["contains"]),
        tuple(env["settings"]),
        {engine: (e["name"], e["keyEnv"]) for engine, e in data["engines"].items()})


@dataclass(frozen=True)
class Finding:
    """A credential found at `path` (at its key when `at_key`); `text`: the string."""

    path: Path
    at_key: bool
    message: str
    hint: str
    text: str = ""


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


def _server_field(path: Path) -> bool:
    return any(_in_server(path, f) for f in ("env", "args", "command"))


def _pairs(value: Any, path: Path = ()) -> Iterator[tuple[Path, str]]:
    """(path of the value, `KEY=value`) for every string under a string key: gitleaks'
    rules that need the vendor's name before the secret (`WANDB_KEY: ...`) see both."""
    if isinstance(value, dict):
        for key, item in value.items():
            if isinstance(key, str) and isinstance(item, str):
                yield (*path, key), f"{key}={item}"
            else:
                yield from _pairs(item, (*path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _pairs(item, (*path, index))


# a switch or a small number is a setting, not a key (HF_HUB_DISABLE_IMPLICIT_TOKEN: "1")
_SETTING = re.compile(r"(?i:true|false|yes|no|on|off|[0-9]{1,6})")


def _literal(value: str) -> bool:
    """A value written in the spec: not empty, not $(NAME), not a switch or a count, not a
    placeholder (`<your-token>`, `${VAR}`, `changeme`)."""
    return bool(value) and not _ENV_REFERENCE.fullmatch(value) \
        and not _SETTING.fullmatch(value) and not placeholder(value)


def _key_name(name: str, rules: _Rules) -> bool:
    """An environment variable that holds a key: `*_KEY`, `*_PASS`, `*PASSWD*`, `APIKEY`..."""
    upper = name.upper()
    if upper.endswith(rules.env_settings):
        return False
    return upper.endswith(rules.env_suffixes) or any(c in upper for c in rules.env_contains)


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
                          "committed to Git", _key_hint(name, _engine(data, path), rules),
                          value if "=" not in text else text)


def _key_env(data: Any, strings: list[_String], rules: _Rules) -> Iterator[Finding]:
    """API_KEY: VALUE and the like in server.env."""
    for path, at_key, text in strings:
        if at_key or not _in_server(path, "env"):
            continue
        name = str(path[-1])
        if _key_name(name, rules) and _literal(text):
            yield Finding(path, False, f"{name} is given a literal value; specs are "
                          "committed to Git", _key_hint(name, _engine(data, path), rules, name),
                          text)


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
        if _url_userinfo(text, rules):
            found.setdefault((path, at_key), Finding(
                path, at_key, "this URL carries credentials (user:password@ or a token as "
                "the user); specs are committed to Git", rules.url_hint, text))
            continue
        rule = credential(text, not at_key and _server_field(path))
        if rule is not None:
            found.setdefault((path, at_key), _shape_finding(path, at_key, rule, text))
    for path, text in _pairs(data):
        if (path, False) not in found and (path, True) not in found:
            rule = credential(text)  # a vendor's name and its key: never the random token
            if rule is not None:
                found[(path, False)] = _shape_finding(path, False, rule, text)
    for finding in (*_key_flags(data, strings, rules), *_key_env(data, strings, rules)):
        found.setdefault((finding.path, finding.at_key), finding)
    return list(found.values())


def _shape_finding(path: Path, at_key: bool, rule: Rule, text: str) -> Finding:
    return Finding(path, at_key, f"this looks like {_article(rule.name)} {rule.name}; specs "
                   "are committed to Git", rule.hint, text)


def fingerprint(text: str) -> str:
    """What a waiver names: the SHA-256 of the value, so a different value pasted into a
    waived field is refused again. The digest of a credential does not reveal it."""
    return "sha256:" + hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def _exceptions(data: Any) -> dict[tuple[str, str], int]:
    """(field, fingerprint) -> index of each metadata.secretExceptions entry that gives a
    reason and a fingerprint (one without is a schema error, and waives nothing)."""
    metadata = data.get("metadata") if isinstance(data, dict) else None
    entries = metadata.get("secretExceptions") if isinstance(metadata, dict) else None
    if not isinstance(entries, list):
        return {}
    return {(entry["field"], entry["fingerprint"]): index
            for index, entry in enumerate(entries)
            if isinstance(entry, dict) and isinstance(entry.get("field"), str)
            and isinstance(entry.get("fingerprint"), str)
            and isinstance(entry.get("reason"), str) and entry["reason"].strip()}


REDACTED = "[redacted]"


def redact(diagnostics: list[Diagnostic], texts: Iterable[str]) -> list[Diagnostic]:
    """The diagnostics with every flagged string (and each credential inside it, as the
    detector finds it, whole or cut short) replaced: a message never repeats a secret,
    whatever step wrote it (a schema error prints values, a field path prints keys)."""
    pieces = sorted({p for text in texts for p in _pieces(text)}, key=len, reverse=True)
    if not pieces:
        return diagnostics
    return [replace(d, path=_redact(d.path, pieces), message=_redact(d.message, pieces),
                    hint=_redact(d.hint, pieces), file=_redact(d.file, pieces))
            for d in diagnostics]


def _pieces(text: str) -> list[str]:
    """What to hide of a flagged string: itself, as repr() shows it, each line of it, the
    secret the detector finds in it, and that secret's first 12 characters (a message that
    cuts a long value short still shows its start)."""
    found = [text, repr(text)[1:-1], *(line for line in text.splitlines() if len(line) >= 6)]
    secret = secret_in(text)
    if secret:
        found += [secret, secret[:12]]
    return [p for p in found if len(p) >= 4]


def _redact(text: str, pieces: list[str]) -> str:
    for piece in pieces:
        if piece in text:
            text = text.replace(piece, REDACTED)
    return text


def _path_problem(display: str, rel: str) -> Diagnostic | None:
    rule = credential(rel)
    if rule is None:
        return None
    return redact([Diagnostic(display, 0, 0, "", f"the file's path holds what looks like "
                              f"{_article(rule.name)} {rule.name}", STEP,
                              "rename the file, and revoke the credential")],
                  [secret_in(rel) or rel])[0]


RawFile = tuple[str, str, bytes | None, list[Diagnostic]]  # display, rel, bytes, problems


def named_by_a_credential(file: RawFile) -> RawFile:
    """A spec file whose path holds a credential, refused before it is parsed (a parse
    error would show the path) with the path redacted; any other file as it is."""
    display, rel, raw, problems = file
    refused = _path_problem(display, rel)
    if refused is None:
        return file
    return refused.file, redact([refused], [secret_in(rel) or rel])[0].file, None, [refused]


def no_inline_secrets(source: Source) -> tuple[list[Diagnostic], list[str]]:
    """Secrets come by reference: no credential anywhere in a spec document (nor in its
    path), except a value waived, with a reason and its fingerprint, in
    metadata.secretExceptions. Returns the diagnostics and the strings flagged (for
    redact())."""
    doc = source.document
    waived = _exceptions(doc.data)
    used: set[tuple[str, str]] = set()
    found: list[Diagnostic] = []
    flagged: list[str] = []
    refused = _path_problem(source.display, source.rel)
    if refused is not None:
        flagged.append(secret_in(source.rel) or source.rel)
        found.append(refused)
    for finding in scan(doc.data):
        field = dotted(finding.path)
        print_ = fingerprint(finding.text)
        if (field, print_) in waived and not finding.at_key:
            used.add((field, print_))
            continue
        flagged.append(finding.text)
        waiver = "" if finding.at_key else (
            f"; if it is no credential, waive it in metadata.secretExceptions: "
            f"{{field: {field}, fingerprint: \"{print_}\", reason: WHY}}")
        found.append(doc.locate(finding.path, at_key=finding.at_key).diagnostic(
            STEP, finding.message, finding.hint + waiver))
    for (field, print_), index in sorted(waived.items(), key=lambda item: item[1]):
        if (field, print_) not in used:
            found.append(doc.locate(("metadata", "secretExceptions", index, "field")).diagnostic(
                STEP, f"secret exception for {field}, where the scanner finds nothing with "
                "that fingerprint", "remove the exception, or give the fingerprint the "
                "scanner prints for the value there now", "warning"))
    return redact(found, flagged), flagged
