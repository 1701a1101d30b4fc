"""Engine contracts: what each engine's pinned release accepts at start-up, as catalog data
(generator/catalog/contracts/<engine>.yaml, and the generated <engine>-flags.yaml).

A contract answers: is this flag known, which names are one setting (aliases), which
settings exclude each other, which CPU architectures the image has, which paths it writes.
Settings are compared by a canonical key, so `--tp-size`, `--tensor-parallel-size=2` and,
for a clap launcher, `--max-input-length` and `MAX_INPUT_LENGTH` each fold to one key.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from generator.catalog import read_data

# The name of the engine container in every model pod: the container a contract is about.
ENGINE_CONTAINER = "inference-server"

CLAP = "clap"  # a setting is a --kebab flag and an UPPER_SNAKE env name at once


@dataclass(frozen=True)
class Contract:
    engine: str
    version: str
    parser: str
    flags: frozenset[str]
    env: frozenset[str]
    underscores: bool = False
    negatable: bool = False
    unknown_fatal: bool = False
    abbreviations: bool = False   # argparse's allow_abbrev: a unique prefix is the flag
    aliases: dict[str, str] = field(default_factory=dict)      # name -> canonical key
    exclusive: tuple[dict[str, Any], ...] = ()
    architectures: frozenset[str] = frozenset()
    writable: tuple[dict[str, Any], ...] = ()
    raw: dict[str, Any] = field(default_factory=dict)

    @property
    def repeat_is_error(self) -> bool:
        return self.parser == CLAP

    def spelled(self, flag: str) -> str:
        """The flag as the parser reads it: vLLM takes underscores for dashes and
        `--json-arg.key` for a key of `--json-arg`; argparse takes a unique prefix."""
        if self.underscores and flag.startswith("--"):
            flag = "--" + flag[2:].replace("_", "-").split(".", 1)[0]
        if self.abbreviations and flag.startswith("--") and flag not in self.flags:
            longer = [known for known in self.flags if known.startswith(flag)]
            if len(longer) == 1:
                return longer[0]
        return flag

    def known(self, flag: str) -> bool:
        flag = self.spelled(flag)
        if flag in self.flags:
            return True
        return self.negatable and flag.startswith("--no-") and f"--{flag[5:]}" in self.flags

    def suggestion(self, flag: str) -> str | None:
        close = difflib.get_close_matches(self.spelled(flag), sorted(self.flags), n=1,
                                          cutoff=0.75)
        return close[0] if close else None

    def key(self, name: str) -> str:
        """The canonical key of a flag or env name: aliases fold together; a clap flag and
        its env name are one setting."""
        if name.startswith("-"):
            name = self.spelled(name)
            if self.parser == CLAP and name.startswith("--"):
                name = name[2:].replace("-", "_").upper()
        return self.aliases.get(name, name)


def _read(name: str) -> Any:
    return read_data(f"contracts/{name}")


@cache
def contract(engine: str) -> Contract | None:
    """The contract of a catalog engine; None for `custom` (the user's own image)."""
    data = _read(f"{engine}.yaml")
    if data is None:
        return None
    generated = _read(f"{engine}-flags.yaml") or {}
    flags = set(generated.get("flags", [])) | set(data.get("flags", []))
    env = set(generated.get("env", []))
    aliases: dict[str, str] = {}
    groups = [g for g in generated.get("aliases", [])]
    groups += [g["names"] for g in data.get("envAliases", [])]
    for group in groups:
        canonical = group[0]
        for name in group:
            aliases[name] = canonical
    made = Contract(
        engine=engine, version=str(data["version"]), parser=data["parser"],
        flags=frozenset(flags), env=frozenset(env),
        underscores=bool(data.get("underscores")), negatable=bool(data.get("negatable")),
        unknown_fatal=bool(data.get("unknownFlagsFatal")),
        abbreviations=bool(data.get("abbreviations")),
        exclusive=tuple(data.get("exclusive", [])),
        architectures=frozenset(a["arch"] for a in data.get("architectures", [])),
        writable=tuple(data.get("writablePaths", [])), raw=data)
    # flag aliases are stored on their own spelling, so fold them through spelled() too
    object.__setattr__(made, "aliases", {made.spelled(k) if k.startswith("-") else k: v
                                         for k, v in aliases.items()})
    return made


def split_args(args: list[str]) -> list[tuple[int, str, str | None]]:
    """(index, flag, inline value) of each option in an argument list: `--flag=value` and
    `--flag value` both give the flag; a value that follows its flag is not an option."""
    found: list[tuple[int, str, str | None]] = []
    for index, arg in enumerate(args):
        if not arg.startswith("-") or arg == "-" or _is_number(arg):
            continue
        flag, sep, value = arg.partition("=")
        found.append((index, flag, value if sep else None))
    return found


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True
