"""The project's one YAML module: strict loading with positions, canonical dumping.

Loading composes nodes (never the global loader, never arbitrary tags), then turns them
into plain data while recording where every key and value was written, so later steps can
point at `file:line:column`. Duplicate keys, non-string keys, merge keys, explicit tags,
%TAG directives, non-finite numbers and alias bombs are reported as diagnostics, never raised.

The loader owns every scalar: an explicit tag is accepted only when it is a plain core tag
on a value it fits (`!!str` on any scalar; `!!int`, `!!float`, `!!bool`, `!!null` on a
value YAML would read as that type anyway), so no tag ever reaches a constructor that could
fail or build something other than plain data.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from typing import Any

import yaml

from generator.diagnostics import Diagnostic, Location, dotted

# libyaml is 4-7x faster; the pure-Python classes give the same data and bytes.
_BaseLoader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_BaseDumper: Any = getattr(yaml, "CSafeDumper", yaml.SafeDumper)

MAX_FILE_BYTES = 1024 * 1024
MAX_NODES = 50_000  # after alias expansion: a "billion laughs" stops here
MAX_DEPTH = 64

Path = tuple[str | int, ...]

_STR = "tag:yaml.org,2002:str"
_MAP = "tag:yaml.org,2002:map"
_SEQ = "tag:yaml.org,2002:seq"
_INT, _FLOAT = "tag:yaml.org,2002:int", "tag:yaml.org,2002:float"
_BOOL, _NULL = "tag:yaml.org,2002:bool", "tag:yaml.org,2002:null"
# an explicit core tag fits a value YAML reads as one of these without the tag
_FITS = {_STR: None, _INT: {_INT}, _FLOAT: {_FLOAT, _INT}, _BOOL: {_BOOL}, _NULL: {_NULL}}
# what plain scalars never resolve to here: dates stay strings (the schema decides what
# they mean), and `=` is the string "=" (PyYAML's !!value tag has no constructor)
_NOT_IMPLICIT = {"tag:yaml.org,2002:timestamp", "tag:yaml.org,2002:value"}


class _Loader(_BaseLoader):  # type: ignore[misc]
    """The safe loader minus the implicit timestamp and value types: an untagged date is a
    string, and `!!timestamp` is always an explicit tag (refused)."""

    yaml_implicit_resolvers = {
        first: [(tag, regexp) for tag, regexp in resolvers if tag not in _NOT_IMPLICIT]
        for first, resolvers in _BaseLoader.yaml_implicit_resolvers.items()}


class _Reading(yaml.resolver.BaseResolver):
    """How _Loader reads a plain scalar: the type a value has without a tag."""

    yaml_implicit_resolvers = _Loader.yaml_implicit_resolvers


_READ = _Reading()


def _read_as(value: str) -> str:
    """The tag YAML gives `value` written plain, without a tag."""
    tag: str = _READ.resolve(yaml.ScalarNode, value, (True, False))  # type: ignore[no-untyped-call]
    return tag
_SHOWN_MAX = 40


def _shown(value: str) -> str:
    return repr(value if len(value) <= _SHOWN_MAX else value[: _SHOWN_MAX - 3] + "...")


@dataclass
class Document:
    """One YAML document as plain data, with the position of every key and value."""

    file: str
    data: Any
    values: dict[Path, tuple[int, int]] = field(default_factory=dict)
    keys: dict[Path, tuple[int, int]] = field(default_factory=dict)
    collections: set[Path] = field(default_factory=set)  # paths of mappings and lists

    def locate(self, path: Path, at_key: bool = False) -> Location:
        """Position of `path`, or of its nearest ancestor that was written."""
        probe = tuple(path)
        # a value is shown where it is written, but a block mapping or list where its key
        # declares it (its own position is its first child's line)
        block = probe in self.collections and probe in self.keys and \
            self.keys[probe][0] != self.values.get(probe, (0, 0))[0]
        if not at_key and probe in self.values and not block:
            line, column = self.values[probe]
            return Location(self.file, line, column, dotted(path))
        # the key of the value, or of the nearest ancestor that was written: for a mapping
        # that is the line declaring it, not the line of its first child
        while probe:
            if probe in self.keys:
                line, column = self.keys[probe]
                return Location(self.file, line, column, dotted(path))
            if probe in self.values and not isinstance(probe[-1], str):
                line, column = self.values[probe]  # a list item has no key
                return Location(self.file, line, column, dotted(path))
            probe = probe[:-1]
        line, column = self.values.get((), (1, 1))
        return Location(self.file, line, column, dotted(path))


class _Stop(Exception):
    """A limit was hit: the file is abandoned with one diagnostic."""

    def __init__(self, diagnostic: Diagnostic) -> None:
        self.diagnostic = diagnostic


def _tag(tag: str) -> str:
    return tag.replace("tag:yaml.org,2002:", "!!")


def _problem(file: str, mark: Any, message: str, hint: str = "", path: str = "") -> Diagnostic:
    line, column = (mark.line + 1, mark.column + 1) if mark is not None else (1, 1)
    return Diagnostic(file, line, column, path, message, "load", hint)


class _Converter:
    """Nodes -> plain data, recording positions and collecting problems."""

    def __init__(self, file: str) -> None:
        self.file = file
        self.nodes = 0
        self.constructor = yaml.constructor.SafeConstructor()
        self.problems: list[Diagnostic] = []

    def document(self, node: yaml.Node) -> Document:
        doc = Document(self.file, None)
        doc.data = self._value(node, (), 0, doc)
        return doc

    def _value(self, node: yaml.Node, path: Path, depth: int, doc: Document) -> Any:
        self.nodes += 1
        if self.nodes > MAX_NODES:
            raise _Stop(_problem(self.file, node.start_mark,
                                 f"document expands to more than {MAX_NODES} values",
                                 "remove YAML anchors and aliases that repeat large parts"))
        if depth > MAX_DEPTH:
            raise _Stop(_problem(self.file, node.start_mark,
                                 f"document is nested deeper than {MAX_DEPTH} levels",
                                 "", dotted(path)))
        doc.values.setdefault(path, (node.start_mark.line + 1, node.start_mark.column + 1))
        if isinstance(node, yaml.CollectionNode):
            doc.collections.add(path)
        if isinstance(node, yaml.MappingNode):
            return self._mapping(node, path, depth, doc)
        if isinstance(node, yaml.SequenceNode):
            self._expect_tag(node, _SEQ, path)
            return [self._value(item, (*path, i), depth + 1, doc)
                    for i, item in enumerate(node.value)]
        return self._scalar(node, path)

    def _mapping(self, node: yaml.MappingNode, path: Path, depth: int, doc: Document) -> Any:
        self._expect_tag(node, _MAP, path)
        result: dict[str, Any] = {}
        for key_node, value_node in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                self.problems.append(_problem(
                    self.file, key_node.start_mark, "YAML merge keys (<<) are not supported",
                    "write the fields out", dotted(path)))
                continue
            if not isinstance(key_node, yaml.ScalarNode):
                shown = yaml.safe_dump(self._key_data(key_node, path, depth, doc),
                                       default_flow_style=True, width=1_000).strip()
                self.problems.append(_problem(
                    self.file, key_node.start_mark, f"mapping key {shown} is not a string",
                    "use a plain string as the key", dotted(path)))
                continue
            if key_node.tag != _STR:
                self.problems.append(self._refused_tag(key_node, path) or _problem(
                    self.file, key_node.start_mark,
                    f"mapping key {key_node.value!r} is not a string",
                    f'quote it: "{key_node.value}"', dotted(path)))
                continue
            key = key_node.value
            child = (*path, key)
            if key in result:
                first = doc.keys[child]
                self.problems.append(_problem(
                    self.file, key_node.start_mark,
                    f"duplicate key {key!r} (first defined at line {first[0]})",
                    "keep one of them", dotted(child)))
                continue
            doc.keys[child] = (key_node.start_mark.line + 1, key_node.start_mark.column + 1)
            result[key] = self._value(value_node, child, depth + 1, doc)
        return result

    def _refused_tag(self, node: yaml.Node, path: Path) -> Diagnostic | None:
        """Why a scalar's tag is refused, if it is."""
        if node.tag not in _FITS:
            return _problem(self.file, node.start_mark, f"unsupported YAML tag {_tag(node.tag)}",
                            "remove the tag", dotted(path))
        fits = _FITS[node.tag]
        if fits is not None and _read_as(node.value) not in fits:
            # only an explicit tag gets here: untagged scalars are read as what they are
            return _problem(self.file, node.start_mark,
                            f"explicit tag {_tag(node.tag)} on {_shown(node.value)}",
                            "remove the tag", dotted(path))
        return None

    def _scalar(self, node: yaml.Node, path: Path) -> Any:
        refused = self._refused_tag(node, path)
        if refused is not None:
            self.problems.append(refused)
            return None
        try:
            value = self.constructor.construct_object(node)
        except (ValueError, KeyError, TypeError, OverflowError):
            # YAML 1.1 patterns PyYAML accepts but cannot build, such as 0b_ or 0x_
            self.problems.append(_problem(
                self.file, node.start_mark,
                f"{_shown(node.value)} is not a valid {_tag(node.tag)[2:]}",
                "quote it if it is meant as a string", dotted(path)))
            return None
        if isinstance(value, float) and not math.isfinite(value):
            self.problems.append(_problem(self.file, node.start_mark,
                                          f"{node.value!r} is not a finite number", "",
                                          dotted(path)))
            return None
        return value

    def _key_data(self, node: yaml.Node, path: Path, depth: int, doc: Document) -> Any:
        """A list or mapping used as a key, as plain data to show: converted like any value
        (so its nodes count against the limits), its own problems dropped (it is refused)."""
        kept = len(self.problems)
        data = self._value(node, path, depth + 1, Document(doc.file, None))
        del self.problems[kept:]
        return data

    def _expect_tag(self, node: yaml.Node, tag: str, path: Path) -> None:
        if node.tag != tag:
            self.problems.append(_problem(self.file, node.start_mark,
                                          f"unsupported YAML tag {_tag(node.tag)}",
                                          "remove the tag", dotted(path)))


def too_large(file: str, size: int) -> Diagnostic:
    return Diagnostic(file, 1, 1, "", f"file is {size} bytes, larger than the "
                      f"{MAX_FILE_BYTES} allowed", "load", "split it")


def decode(raw: bytes, file: str) -> tuple[str | None, list[Diagnostic]]:
    """Bytes -> text, refusing oversized and non-UTF-8 input with a position."""
    if len(raw) > MAX_FILE_BYTES:
        return None, [too_large(file, len(raw))]
    try:
        return raw.decode("utf-8-sig"), []
    except UnicodeDecodeError as exc:
        before = raw[: exc.start]
        line = before.count(b"\n") + 1
        column = exc.start - (before.rfind(b"\n") + 1) + 1
        return None, [Diagnostic(file, line, column, "",
                                 f"byte 0x{raw[exc.start]:02x} is not valid UTF-8", "load",
                                 "save the file as UTF-8")]


def _tag_directives(text: str, file: str) -> list[Diagnostic]:
    """%TAG directives, refused: they rename tag handles (even `!!`), so a tag would not
    mean what it shows."""
    return [_problem(file, event.start_mark, "%TAG directives are not supported",
                     "remove the %TAG line and the tags written with it")
            for event in yaml.parse(text, Loader=_Loader)
            if isinstance(event, yaml.DocumentStartEvent) and event.tags]


def parse(text: str, file: str) -> tuple[list[Document], list[Diagnostic]]:
    """All documents of a YAML stream, or the diagnostics that explain why not."""
    converter = _Converter(file)
    documents: list[Document] = []
    try:
        for node in yaml.compose_all(text, Loader=_Loader):
            if node is None or (isinstance(node, yaml.ScalarNode) and node.value == ""
                                and node.tag == "tag:yaml.org,2002:null"):
                continue  # an empty document: a stray `---`
            documents.append(converter.document(node))
        if "%TAG" in text:  # the only way to write one: skip the second pass otherwise
            converter.problems += _tag_directives(text, file)
    except _Stop as stop:
        return [], [stop.diagnostic]
    except yaml.MarkedYAMLError as exc:
        message = exc.problem or str(exc)
        context_mark, problem_mark = exc.context_mark, exc.problem_mark
        if exc.context and context_mark is not None and problem_mark is not None and (
                (context_mark.line, context_mark.column)
                != (problem_mark.line, problem_mark.column)):
            # where the unfinished construct began: an unclosed bracket or quote is only
            # noticed at the end of the file
            message += (f" ({exc.context} at line {context_mark.line + 1}, "
                        f"column {context_mark.column + 1})")
        return [], [_problem(file, exc.problem_mark, f"invalid YAML: {message}")]
    except yaml.reader.ReaderError as exc:  # control characters: a position, no mark
        before = text[: exc.position]
        line = before.count("\n") + 1
        column = exc.position - (before.rfind("\n") + 1) + 1
        code = ord(exc.character) if isinstance(exc.character, str) else int(exc.character)
        character = f"#x{code:04x}"
        return [], [Diagnostic(file, line, column, "", f"invalid YAML: unacceptable character "
                               f"{character}: {exc.reason}", "load")]
    except yaml.YAMLError as exc:
        return [], [Diagnostic(file, 1, 1, "", f"invalid YAML: {' '.join(str(exc).split())}",
                               "load")]
    except RecursionError:
        return [], [Diagnostic(file, 1, 1, "", "document is nested too deeply", "load")]
    return documents, converter.problems


# ---------------------------------------------------------------------------- dumping

# Kubernetes readers expect these first; everything else follows in sorted order, so the
# output never depends on the order in which code or specs wrote a mapping.
_HEAD_KEYS = ("apiVersion", "kind", "metadata", "spec", "name", "namespace")


def canonical(value: Any) -> Any:
    if isinstance(value, dict):
        head = [k for k in _HEAD_KEYS if k in value]
        rest = sorted(k for k in value if k not in _HEAD_KEYS)
        return {k: canonical(value[k]) for k in (*head, *rest)}
    if isinstance(value, list):
        return [canonical(item) for item in value]
    return value


class _Dumper(_BaseDumper):  # type: ignore[misc]
    def ignore_aliases(self, data: Any) -> bool:
        return True


def _str_representer(dumper: Any, value: str) -> Any:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar(_STR, value, style=style)


_Dumper.add_representer(str, _str_representer)


def dump_pyyaml(value: Any) -> str:
    """Canonical block YAML through PyYAML: the reference `dump` must match byte for byte."""
    text: str = yaml.dump(canonical(value), Dumper=_Dumper, sort_keys=False,
                          default_flow_style=False, allow_unicode=True, width=1_000_000)
    return text


class _Unusual(Exception):
    """Something the fast emitter leaves to PyYAML (a multi-line string, a long key...)."""


# How PyYAML writes each scalar, asked once per distinct (type, value, position): scalars
# repeat endlessly across a fleet (label keys, "true", ports), so PyYAML's own emitter keeps
# the last word on quoting while its per-node cost is paid once per distinct value.
_SCALARS: dict[tuple[type, Any, bool], str] = {}
_MAX_SCALARS = 200_000
_BREAKS = re.compile("[\r\n\x85\u2028\u2029]")


def _scalar(value: Any, key: bool) -> str:
    memo = (type(value), value, key)
    found = _SCALARS.get(memo)
    if found is not None:
        return found
    if type(value) not in (str, int, float, bool, type(None)) or (
            type(value) is str and _BREAKS.search(value)):
        raise _Unusual  # line breaks are written relative to the indent: PyYAML's job
    # as a key, and as a value, in the smallest document that shows each
    text = dump_pyyaml({value: 0} if key else {"k": value})
    head, tail = (text[:-4], text[-4:]) if key else (text[:3], text[3:-1])
    if key:
        if tail != ": 0\n" or "\n" in head or head.startswith("? "):
            raise _Unusual
        rendered = head
    else:
        if head != "k: " or not text.endswith("\n") or "\n" in tail:
            raise _Unusual
        rendered = tail
    if len(_SCALARS) < _MAX_SCALARS:
        _SCALARS[memo] = rendered
    return rendered


def _ordered(mapping: dict[str, Any]) -> list[str]:
    head = [k for k in _HEAD_KEYS if k in mapping]
    if len(head) == len(mapping):
        return head
    return head + sorted(k for k in mapping if k not in _HEAD_KEYS)


def _mapping(mapping: dict[str, Any], indent: str, out: list[str], first: str | None) -> None:
    """Block mapping lines at `indent`; `first` replaces the indent of the first line (the
    "- " of a list item that holds the mapping)."""
    for key in _ordered(mapping):
        if type(key) is not str:
            raise _Unusual
        value = mapping[key]
        lead = indent if first is None else first
        first = None
        written = _scalar(key, True)
        if type(value) is dict:
            if value:
                out.append(f"{lead}{written}:\n")
                _mapping(value, indent + "  ", out, None)
            else:
                out.append(f"{lead}{written}: {{}}\n")
        elif type(value) is list:
            if value:
                out.append(f"{lead}{written}:\n")
                _sequence(value, indent, out, None)  # PyYAML's indentless sequences
            else:
                out.append(f"{lead}{written}: []\n")
        else:
            out.append(f"{lead}{written}: {_scalar(value, False)}\n")


def _sequence(items: list[Any], indent: str, out: list[str], first: str | None) -> None:
    for item in items:
        lead = (indent if first is None else first) + "- "
        first = None
        if type(item) is dict:
            if item:
                _mapping(item, indent + "  ", out, lead)
            else:
                out.append(f"{lead}{{}}\n")
        elif type(item) is list:
            if item:
                _sequence(item, indent + "  ", out, lead)
            else:
                out.append(f"{lead}[]\n")
        else:
            out.append(f"{lead}{_scalar(item, False)}\n")


def _dump_fast(value: Any) -> str:
    if type(value) is not dict or not value:
        raise _Unusual
    out: list[str] = []
    _mapping(value, "", out, None)
    return "".join(out)


def dump(value: Any) -> str:
    """Canonical block YAML: fixed key order, no aliases, literal blocks for multi-line.

    A small emitter for the plain data infergen builds (dicts, lists, scalars) writes the
    same bytes as PyYAML several times faster; anything it does not handle (a multi-line
    string, a key PyYAML would not write as a simple key, another type) goes to PyYAML.
    tests/test_yamlio.py holds the two to identical output."""
    try:
        return _dump_fast(value)
    except _Unusual:
        return dump_pyyaml(value)


def load_plain(text: str) -> Any:
    """Plain data from trusted text we generated ourselves (round-trip checks, tests)."""
    return yaml.load(text, Loader=_Loader)
