"""The credential detector's keyword pattern (a trie) finds what the flat alternation of its
keywords, longest first, finds: the same keywords at the same places."""

from __future__ import annotations

import random
import re
import string

from generator.checks.credentials import detector, keyword_pattern


def test_the_trie_finds_what_the_alternation_finds() -> None:
    keywords = sorted(detector().by_keyword, key=lambda k: (-len(k), k))
    flat = re.compile("|".join(re.escape(k) for k in keywords))
    trie = detector().keyword
    rnd = random.Random(25)
    alphabet = string.ascii_lowercase + "-_.=/ 0123456789"
    hits = 0
    for _ in range(5000):  # texts of keywords, their prefixes and noise, run together
        text = "".join(rnd.choice(keywords)[:rnd.randint(1, 40)] if rnd.random() < 0.5
                       else "".join(rnd.choices(alphabet, k=rnd.randint(0, 5)))
                       for _ in range(rnd.randint(1, 8)))
        want = [(m.start(), m.group()) for m in flat.finditer(text)]
        assert [(m.start(), m.group()) for m in trie.finditer(text)] == want, text
        hits += len(want)
    assert hits > 1000  # the texts do hold keywords


def test_a_word_inside_a_longer_one() -> None:
    pattern = re.compile(keyword_pattern(["sk-ant", "sk-", "ab"]))
    assert [m.group() for m in pattern.finditer("sk-ant sk-an ab a")] == ["sk-ant", "sk-", "ab"]
