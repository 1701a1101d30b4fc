"""Engine contracts: what each engine's pinned release accepts at start-up, as catalog data
(generator/catalog/contracts/<engine>.yaml, and the generated option table
<engine>-flags.yaml, made by `make engine-facts` from the engine's own parser).

A contract answers: which options the engine's CLI has (takes a value or not, choices,
may repeat), how it reads an argument list (read_args: the engine's own parser rules, so an
argument the engine refuses is refused here), which names are one setting (aliases, a clap
flag and its env name), which settings exclude each other, which CPU architectures the image
has, which paths it writes. Settings are compared by a canonical key: `-tp`,
`--tensor-parallel-size=2` and `--tensor_parallel_size` fold to one key, and for a clap
launcher `--max-input-length` and `MAX_INPUT_LENGTH` too.
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
ARGPARSE = "argparse"
GETOPT = "getopt"
ABSL = "absl"


@dataclass(frozen=True)
class Option:
    """One option string of the engine's parser (a row of <engine>-flags.yaml)."""
    name: str
    dest: str                      # the setting it stores: option strings of one dest are one
    takes: str                     # "flag" (no value), "value", "optional" (nargs='?')
    nargs: Any = None              # argparse "+", "*" or a count; None is one value
    choices: tuple[str, ...] = ()
    repeat: str = "last"           # "last" wins, "append"s, or is an "error" (clap Set)
    negative: bool = False         # --no-X, --disable-X: stores False
    exits: bool = False            # --help, --version: print and exit
    deprecated: bool = False
    default: Any = None
    env: str | None = None         # clap: the env name of the same setting
    type: str | None = None        # argparse's int or float: the value must read as one


@dataclass(frozen=True)
class Given:
    """One option of a user's argument list, as the engine's parser reads it."""
    index: int                     # position in the list (where to point the diagnostic)
    text: str                      # the flag as written, without `=value`
    option: Option | None          # None: the parser refuses it (see problem)
    value: str | None              # the value it stores ("true"/"false" for a flag)
    problem: tuple[str, str] | None = None     # (message, hint) when the engine refuses it
    unknown: bool = False          # the problem is an unknown option


@dataclass(frozen=True)
class Contract:
    engine: str
    version: str
    parser: str
    options: dict[str, Option]
    env: frozenset[str]            # clap env names
    underscores: bool = False      # vLLM: --max_model_len is --max-model-len
    abbreviations: bool = False    # argparse allow_abbrev / getopt_long: a unique prefix
    aliases: dict[str, str] = field(default_factory=dict)      # name -> canonical key
    conflicts: tuple[tuple[str, str], ...] = ()                # clap conflicts_with, by key
    env_reads: frozenset[str] = frozenset()                    # VLLM_* names envs.py reads
    env_prefix: str | None = None                              # ... and their prefix
    removed: dict[str, dict[str, Any]] = field(default_factory=dict)
    removed_env: dict[str, dict[str, Any]] = field(default_factory=dict)
    exclusive: tuple[dict[str, Any], ...] = ()
    architectures: frozenset[str] = frozenset()
    writable: tuple[dict[str, Any], ...] = ()
    raw: dict[str, Any] = field(default_factory=dict)

    @property
    def flags(self) -> frozenset[str]:
        return frozenset(self.options)

    @property
    def label(self) -> str:
        return f"{self.engine} {self.version}"

    def resolve(self, flag: str) -> tuple[Option | None, str | None]:
        """The option a flag names, as the parser matches it; else (None, why)."""
        if self.underscores and flag.startswith("--"):
            flag = "--" + flag[2:].split(".", 1)[0].replace("_", "-")
        if self.parser == ABSL and flag.startswith("-") and not flag.startswith("--"):
            flag = "-" + flag  # absl takes -name as --name
        if flag in self.options:
            return self.options[flag], None
        if self.parser == ABSL and flag.startswith("--no"):
            base = self.options.get("--" + flag[4:])
            if base is not None and base.takes == "flag":
                return Option(flag, base.dest, "flag", negative=True, default=base.default), None
        if self.abbreviations and flag.startswith("--"):
            longer = sorted(known for known in self.options
                            if known.startswith("--") and known.startswith(flag))
            distinct = {(self.options[k].dest, self.options[k].takes) for k in longer}
            if len(longer) == 1 or (self.parser == GETOPT and len(distinct) == 1 and longer):
                return self.options[longer[0]], None
            if len(longer) > 1:
                return None, ", ".join(longer[:6]) + (", ..." if len(longer) > 6 else "")
        return None, None

    def known(self, flag: str) -> bool:
        return self.resolve(flag)[0] is not None

    def suggestion(self, flag: str) -> str | None:
        bare = flag.split("=", 1)[0]
        if self.underscores:
            bare = bare.replace("_", "-")
        close = difflib.get_close_matches(bare, sorted(self.options), n=1, cutoff=0.75)
        return close[0] if close else None

    def key(self, name: str) -> str:
        """The canonical key of a flag or env name: aliases fold together; a clap flag and
        its env name are one setting."""
        if name.startswith("-"):
            option = self.resolve(name.split("=", 1)[0])[0]
            if option is not None:
                name = option.dest if self.parser != CLAP else (option.env or option.dest)
        return self.aliases.get(name, name)

    def default_of(self, key: str) -> Any:
        for option in self.options.values():
            if self.key(option.name) == key and not option.negative:
                return option.default
        return None

    def env_setting(self, name: str) -> Option | None:
        """The clap option an env name sets."""
        return next((o for o in self.options.values() if o.env == name), None)


def _read(name: str) -> Any:
    return read_data(f"contracts/{name}")


def _option(name: str, row: dict[str, Any]) -> Option:
    return Option(name=name, dest=str(row["dest"]), takes=row["takes"], nargs=row.get("nargs"),
                  choices=tuple(row.get("choices") or ()),
                  repeat=row.get("repeat", "last"), negative=bool(row.get("negative")),
                  exits=bool(row.get("exits")), deprecated=bool(row.get("deprecated")),
                  default=row.get("default"), env=row.get("env"),
                  type=row.get("type") if row.get("type") in ("int", "float") else None)


@cache
def contract(engine: str) -> Contract | None:
    """The contract of a catalog engine; None for `custom` (the user's own image)."""
    data = _read(f"{engine}.yaml")
    if data is None:
        return None
    table = _read(f"{engine}-flags.yaml") or {}
    options = {name: _option(name, row) for name, row in table.get("options", {}).items()}
    aliases: dict[str, str] = {}
    for group in data.get("envAliases", []):
        for name in group["names"]:
            aliases[name] = group["names"][0]
    removed = _read(str(data["removedFlags"])) if "removedFlags" in data else {}
    return Contract(
        engine=engine, version=str(data["version"]), parser=table.get("parser", data["parser"]),
        options=options, env=frozenset(o.env for o in options.values() if o.env),
        underscores=bool(data.get("underscores")),
        abbreviations=bool(table.get("allowAbbrev")),
        aliases=aliases,
        conflicts=tuple((a, b) for a, b in table.get("conflicts", [])),
        env_reads=frozenset(table.get("envReads", [])), env_prefix=data.get("envPrefix"),
        removed=(removed or {}).get("flags", {}), removed_env=(removed or {}).get("env", {}),
        exclusive=tuple(data.get("exclusive", [])),
        architectures=frozenset(a["arch"] for a in data.get("architectures", [])),
        writable=tuple(data.get("writablePaths", [])), raw=data)


def split_args(args: list[str]) -> list[tuple[int, str, str | None]]:
    """(index, flag, inline value) of each option in an argument list: `--flag=value` and
    `--flag value` both give the flag; a value that follows its flag is not an option."""
    found: list[tuple[int, str, str | None]] = []
    for index, arg in enumerate(args):
        if not _is_option(arg):
            continue
        flag, sep, value = arg.partition("=")
        found.append((index, flag, value if sep else None))
    return found


def _is_option(arg: str) -> bool:
    return arg.startswith("-") and arg != "-" and not _is_number(arg)


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def read_args(terms: Contract, args: list[str]) -> list[Given]:
    """Read an argument list the way the engine's parser does: each option with the value it
    takes, and what the parser refuses (unknown, ambiguous, a value on a flag, a missing
    value, a bad choice, help) with the engine's reason. A value never counts as an option;
    a positional argument is reported on its own."""
    found: list[Given] = []
    undefok = _undefok(args) if terms.parser == ABSL else set()
    index = 0
    while index < len(args):
        arg = args[index]
        if not _is_option(arg):
            found.append(Given(index, arg, None, None, _positional(terms, arg)))
            index += 1
            continue
        text, sep, inline = arg.partition("=")
        if terms.engine.startswith("vllm") and arg.startswith("-O") and not arg.startswith("--"):
            # FlexibleArgumentParser reads -O3, -O=3 and -O 3 as --optimization-level
            text, sep, inline = ("--optimization-level", "", "") if arg == "-O" else (
                "--optimization-level", "=", arg[2:].lstrip("="))
        option, ambiguous = terms.resolve(text)
        if option is None:
            if text.lstrip("-") in undefok:  # absl: --undefok=NAME lets it pass
                found.append(Given(index, text, None, inline if sep else None))
            else:
                found.append(Given(index, text, None, None, _unknown(terms, text, ambiguous),
                                   unknown=ambiguous is None))
            if not sep and index + 1 < len(args) and not _is_option(args[index + 1]):
                index += 1  # its value: the engine names both ("unrecognized arguments")
            index += 1
            continue
        start = index
        value: str | None = inline if sep else None
        problem = None
        if option.exits:
            problem = (f"{text} makes {terms.label} print and exit at start, so the pod "
                       "restarts forever", "remove it")
        elif option.takes == "flag":
            if sep and terms.parser != ABSL:
                problem = (f"{text} takes no value ({terms.label}: "
                           f"{_no_value(terms, text, inline)})", _flag_hint(option, text))
            value = "false" if option.negative else (inline if sep else "true")
        elif not sep:
            takes = _values_taken(option)
            following = args[index + 1:index + 1 + (takes if takes > 0 else len(args))]
            values: list[str] = []
            for nxt in following:
                if _is_option(nxt) and terms.parser != GETOPT:
                    break
                values.append(nxt)
                if takes == 1:
                    break
            needed = 0 if option.takes == "optional" or option.nargs == "*" else max(takes, 1)
            if len(values) < needed:
                problem = (f"{text} needs a value ({terms.label}: expected "
                           f"{'one argument' if needed == 1 else f'{needed} arguments'})",
                           f"give it as {option.name}=VALUE")
            value = " ".join(values) if values else None
            index += len(values)
        if problem is None and option.type is not None and value is not None:
            bad_number = next((v for v in (value.split(" ") if option.nargs else [value])
                               if not _reads_as(option.type, v)), None)
            if bad_number is not None:
                problem = (f"{text}={bad_number} is not {'an' if option.type == 'int' else 'a'} "
                           f"{option.type} ({terms.label}: invalid {option.type} value)",
                           f"give {option.name} a number")
        if problem is None and option.choices and value is not None:
            bad = [v for v in value.split(" ") if v not in option.choices]
            if bad and (terms.parser != CLAP or bad[0].lower() not in option.choices):
                problem = (f"{text}={bad[0]} is not a choice of {terms.label}",
                           "one of: " + ", ".join(option.choices))
        found.append(Given(start, text, option, value, problem))
        index += 1
    return found


def _reads_as(kind: str, value: str) -> bool:
    """Python's int() or float() reads the value (argparse's type=int, type=float)."""
    try:
        (int if kind == "int" else float)(value)
    except ValueError:
        return False
    return True


def _undefok(args: list[str]) -> set[str]:
    """The names absl's --undefok lets through, and their --no forms
    (absl/flags/_flagvalues.py _parse_args)."""
    names: set[str] = set()
    for index, arg in enumerate(args):
        value = arg.partition("=")[2] if arg.startswith("--undefok=") else (
            args[index + 1] if arg == "--undefok" and index + 1 < len(args) else None)
        if value is not None:
            names.update(v.strip() for v in value.split(","))
    return names | {"no" + n for n in names}


def _values_taken(option: Option) -> int:
    if isinstance(option.nargs, int):
        return option.nargs
    return 0 if option.nargs in ("+", "*") else 1


def _positional(terms: Contract, arg: str) -> tuple[str, str]:
    if terms.parser == ABSL:
        return (f"{arg!r} is not a flag: absl stops reading flags here, so every flag after "
                f"it is ignored by {terms.label}", "give flags as --name=value")
    return (f"{arg!r} is not an option: {terms.label} exits on an unexpected argument",
            "give it as the value of its flag (--flag=value)")


def _unknown(terms: Contract, text: str, ambiguous: str | None) -> tuple[str, str]:
    if ambiguous is not None:
        return (f"{text} is ambiguous for {terms.label} (it could be {ambiguous}): the engine "
                "exits", "spell the option out")
    bare = text[2:] if text.startswith("--") else text.lstrip("-")
    if terms.underscores:
        bare = bare.split(".", 1)[0].replace("_", "-")
    gone = terms.removed.get(f"--{bare}")
    if gone is not None:
        successor = gone.get("successor")
        return (f"{text} was removed in vLLM {_minor(gone['removedIn'])} (last in "
                f"{gone['lastIn']}): {terms.label} exits on it",
                f"use {successor}" if successor else str(gone.get("note", "remove it")))
    if text.startswith("--no") and terms.parser == ABSL:
        base = terms.resolve("--" + bare[2:])[0]
        if base is not None:
            return (f"{text}: --{bare[2:]} is not a boolean flag of {terms.label}, so it has "
                    "no --no form (absl aborts)", f"remove it, or give --{bare[2:]}=VALUE")
    if text.startswith("--no-") and terms.parser == ARGPARSE:
        base = terms.resolve("--" + bare[3:])[0]
        if base is not None:
            return (f"{text}: --{bare[3:]} is not a boolean option of {terms.label}, so it has "
                    "no --no- form (the engine exits)",
                    f"remove it, or give --{bare[3:]}=VALUE")
    if text.startswith("--disable-") and f"--no-enable-{text[10:]}" in terms.options:
        return (f"{text} is not an option of {terms.label}, which pairs --enable-{text[10:]} "
                f"with --no-enable-{text[10:]} only (the engine exits on it)",
                f"use --no-enable-{text[10:]}")
    guess = terms.suggestion(text)
    return (f"{text} is not an option of {terms.label} (the engine exits on it)",
            f"did you mean {guess}?" if guess else f"see {terms.engine}'s own option list")


def _minor(version: str) -> str:
    """The release line a removal happened in: the tables hold each line's last release."""
    return ".".join(version.split(".")[:2])


def _no_value(terms: Contract, text: str, inline: str | None) -> str:
    if terms.parser == ARGPARSE:
        return f"ignored explicit argument {inline!r}"
    if terms.parser == CLAP:
        return f"unexpected value {inline!r} for {text}"
    return "option doesn't allow an argument"


def _flag_hint(option: Option, text: str) -> str:
    if option.negative:
        return f"give {text} alone"
    if option.name.startswith("--enable-"):
        return f"give {text} alone to set it, or --disable-{option.name[9:]} to unset it"
    return f"give {text} alone to set it, or leave it out"


def same_value(first: Any, second: Any) -> bool:
    """Two values of one setting are the same, as the engine reads them: booleans by their
    truth (`False`, `false`, `0`), numbers by value, anything else as text."""
    return bool(_canonical(first) == _canonical(second))


def _canonical(value: Any) -> Any:
    if isinstance(value, bool):
        return value
    text = str(value).strip() if value is not None else ""
    if text.lower() in ("true", "false"):
        return text.lower() == "true"
    try:
        return float(text)
    except ValueError:
        return text
