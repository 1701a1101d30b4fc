"""Does a string hold a credential? One detector over two rule sets: gitleaks' rules
(catalog/credentials-gitleaks.yaml, generated from gitleaks' own config) and infergen's
(catalog/credentials.yaml: vendors gitleaks lacks, and the placeholders that are never a
credential).

Gitleaks' semantics, kept: a rule runs only when the lower-cased text holds one of its
keywords; the secret is the rule's secret group (else the first group matched, else the
match); a secret whose Shannon entropy is at or below the rule's threshold, or that an
allowlist (the rule's, or the global one) accepts, is no finding.

It runs on every string of every spec (10,000 specs a render), so it is cheap where it can
be: text shorter than any rule's shortest match is skipped at once, every keyword is found
in one search of one compiled pattern, and a text's verdict is remembered (specs repeat
their images, engines and flags).
"""

from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import dataclass
from functools import cache, lru_cache
from typing import Any

from generator.catalog import read_data

SECRET_HINT = "put it in a Kubernetes Secret, and revoke it: it may already be in Git history"


@dataclass(frozen=True)
class Allow:
    """A gitleaks allowlist: regexes on the secret, the match or the line, and stopwords
    (found in the secret); AND: both must accept."""

    regexes: tuple[re.Pattern[str], ...]
    target: str
    stopwords: tuple[str, ...]
    both: bool

    def accepts(self, secret: str, match: str, line: str) -> bool:
        text = {"match": match, "line": line}.get(self.target, secret)
        by_regex = any(r.search(text) for r in self.regexes) if self.regexes else None
        lowered = secret.lower()
        by_word = any(w in lowered for w in self.stopwords) if self.stopwords else None
        given = [v for v in (by_regex, by_word) if v is not None]
        return bool(given) and (all(given) if self.both else any(given))


@dataclass(frozen=True)
class Rule:
    id: str
    name: str  # what the message calls it
    source: str  # the regular expression, compiled when a keyword first wakes the rule
    keywords: tuple[str, ...]  # lower case; empty: always runs
    entropy: float
    group: int  # the secret group; 0: gitleaks' choice (the first group matched)
    allow: tuple[Allow, ...]
    hint: str
    fields: frozenset[str]  # only under these server fields; empty: anywhere
    width: int  # the shortest text it can match
    contextual: bool  # its match names the vendor: an identifier's shape is no excuse

    @property
    def pattern(self) -> re.Pattern[str]:
        return _compiled(self.source)


@dataclass(frozen=True)
class Detector:
    rules: tuple[Rule, ...]
    always: tuple[int, ...]  # rules without keywords (index)
    keyword: re.Pattern[str]  # every keyword, longest first
    by_keyword: dict[str, tuple[int, ...]]  # a keyword found -> the rules it wakes (index)
    allow: tuple[Allow, ...]  # global: gitleaks' and infergen's placeholders
    identifiers: tuple[Allow, ...]  # digests, commit ids, UUIDs, resource names
    width: int  # the shortest text any rule can match


def _allow(entry: dict[str, Any]) -> Allow:
    return Allow(tuple(re.compile(r) for r in entry.get("regexes", ())),
                 entry.get("regexTarget", "secret"),
                 tuple(w.lower() for w in entry.get("stopwords", ())),
                 entry.get("condition") == "AND")


@cache
def _compiled(source: str) -> re.Pattern[str]:
    return re.compile(source)


def width(source: str) -> int:
    """The length of the shortest text `source` matches (tools/gitleaks_rules.py writes it
    beside each of gitleaks' rules, so loading them parses none)."""
    parsed = re._parser.parse(source)  # type: ignore[attr-defined]
    return int(parsed.getwidth()[0])


def _name(rule_id: str) -> str:
    return f"credential (gitleaks rule {rule_id})"


# how gitleaks' rules that need the vendor's name before the secret begin
_SEMI_GENERIC = r"[\w.-]{0,50}?(?:"


def _rule(entry: dict[str, Any], own: bool) -> Rule:
    return Rule(entry.get("id", entry.get("name", "")),
                entry["name"] if own else _name(entry["id"]), entry["pattern"],
                tuple(k.lower() for k in entry.get("keywords", ())),
                float(entry.get("entropy", 0)), int(entry.get("secretGroup", 0)),
                tuple(_allow(a) for a in entry.get("allowlists", ())),
                entry.get("hint", SECRET_HINT), frozenset(entry.get("fields", ())),
                entry.get("width") or width(entry["pattern"]), bool(entry.get("contextual")) or (
                    not own and _SEMI_GENERIC in entry["pattern"]
                    and entry["id"] != "generic-api-key"))


@cache
def detector() -> Detector:
    ours = read_data("credentials.yaml")
    theirs = read_data("credentials-gitleaks.yaml")
    skipped = set(ours.get("gitleaksSkipped", ()))
    found = [_rule(s, True) for s in ours["shapes"]] \
        + [_rule(r, False) for r in theirs["rules"] if r["id"] not in skipped]
    # a vendor's rule names the vendor: the shapes limited to some fields (a random token)
    # are the last resort
    rules = tuple(sorted(found, key=lambda rule: bool(rule.fields)))
    keywords = sorted({k for r in rules for k in r.keywords}, key=lambda k: (-len(k), k))
    # a keyword found also wakes the rules of every keyword inside it ("sk-ant" holds "sk-")
    rules_of: dict[str, list[int]] = {}
    for index, rule in enumerate(rules):
        for word in rule.keywords:
            rules_of.setdefault(word, []).append(index)
    by_keyword = {k: tuple(sorted({i for w in keywords if w in k for i in rules_of[w]}))
                  for k in keywords}
    placeholders, identifiers = ours["placeholders"], ours["identifiers"]
    allow = (_allow({"regexes": theirs["global"]["regexes"]}),
             _allow({"stopwords": theirs["global"]["stopwords"]}),
             _allow({"regexes": placeholders["secret"]}),
             _allow({"regexes": placeholders["match"], "regexTarget": "match"}),
             _allow({"stopwords": placeholders["words"]}))
    known = (_allow({"regexes": identifiers["secret"]}),
             _allow({"regexes": identifiers["line"], "regexTarget": "line"}))
    return Detector(rules, tuple(i for i, r in enumerate(rules) if not r.keywords),
                    re.compile(keyword_pattern(keywords)), by_keyword, allow, known,
                    min(r.width for r in rules))


Trie = dict[str, "Trie"]  # a character -> the words going on with it ("": one ends here)


def keyword_pattern(words: list[str]) -> str:
    """One pattern finding the longest of `words` at each position, as their alternation
    longest first does, but with common prefixes shared: Python's re tries a flat
    alternation's 1,000 words one by one at every character (7x slower on a spec's path)."""
    trie: Trie = {}
    for word in words:
        node = trie
        for char in word:
            node = node.setdefault(char, {})
        node[""] = {}  # a word ends here

    def branch(node: Trie) -> str:
        # longer words first: a child that matches further is tried before the end here
        children = [re.escape(c) + branch(child) for c, child in sorted(node.items()) if c]
        if not children:
            return ""
        if len(children) == 1 and "" not in node:
            return children[0]
        return "(?:" + "|".join(children) + ("|)" if "" in node else ")")

    return branch(trie)


def entropy(text: str) -> float:
    """Shannon entropy in bits per character, as gitleaks computes it."""
    if not text:
        return 0.0
    counts, size = Counter(text), len(text)
    return -sum(c / size * math.log2(c / size) for c in counts.values())


def _secret(rule: Rule, match: re.Match[str]) -> str:
    if rule.group and rule.group <= (match.re.groups or 0):
        return match.group(rule.group) or ""
    return next((g for g in match.groups() if g), match.group())


def _found(rule: Rule, text: str, found: Detector) -> bool:
    allow = (*rule.allow, *found.allow, *(() if rule.contextual else found.identifiers))
    for match in rule.pattern.finditer(text):
        secret = _secret(rule, match)
        if rule.entropy and entropy(secret) <= rule.entropy:
            continue
        whole = match.group()
        if any(a.accepts(secret, whole, text) for a in allow):
            continue
        return True
    return False


def _candidates(text: str, found: Detector) -> list[Rule]:
    lowered = text.lower()
    woken = {i for hit in found.keyword.finditer(lowered) for i in found.by_keyword[hit.group()]}
    woken.update(found.always)
    return [found.rules[i] for i in sorted(woken)]  # in the catalogs' order: ours first


@lru_cache(maxsize=1 << 16)
def credential(text: str, server_field: bool = False) -> Rule | None:
    """The first rule finding a credential in `text`; rules limited to server.env, args and
    command (`fields`) only when `server_field`."""
    found = detector()
    if len(text) < found.width:
        return None
    for rule in _candidates(text, found):
        if rule.fields and not server_field:
            continue
        if len(text) >= rule.width and _found(rule, text, found):
            return rule
    return None


def placeholder(text: str) -> bool:
    """`<your-token>`, `${VAR}`, `changeme`, `XXXX`...: a value that stands for a key."""
    found = detector()
    return any(a.accepts(text, text, text) for a in found.allow[2:])


def secret_in(text: str) -> str:
    """The secret the first rule finds in `text` ("" when none): what to hide of it."""
    rule = credential(text, True)
    if rule is None:
        return ""
    match = rule.pattern.search(text)
    return _secret(rule, match) if match else ""
