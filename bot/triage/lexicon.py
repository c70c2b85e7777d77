"""A folded Polish lexicon: every inflected form of the vocabulary we care about -> its lemma."""

import json
import os
import subprocess
import sys
from collections import Counter
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from bot.triage.text import fold, raw_words

# Readings that owners never mean: surnames, place names, archaic or regional words.
_RARE_NAMES = {"nazwisko", "imię", "nazwa_geograficzna", "nazwa_organizacji", "nazwa_własna"}
_RARE_QUALIFIERS = {"przest.", "daw.", "reg.", "poet.", "książk."}
# Function tags that carry no lemma of their own (`m` in `zepsułam` is a form of `być`).
_SKIPPED_TAGS = {"ign", "interp", "aglt", "xxx"}
# What may follow the first segment of one word: person endings and the conditional `by`.
_ENDINGS = {"aglt", "qub"}
# When a word has several readings with equal support, owners mostly mean the verb.
_POS_RANK = {"fin": 0, "praet": 0, "inf": 0, "impt": 0, "ger": 1, "subst": 2, "adj": 3, "adv": 4}


def _reading(lemma: str, tag: str) -> tuple[str, str]:
    """(qualified lemma for generation, folded key); a negated participle keeps its `nie`."""
    base = lemma.split(":", 1)[0].lower()
    key = fold(("nie" + base) if ":neg" in tag else base)
    return lemma, key


def _readings(morfeusz: Any, word: str) -> list[tuple[str, str, int]]:
    """(qualified lemma, folded key, part-of-speech rank) of `word`, rare readings last."""
    common: list[tuple[str, str, int]] = []
    rare: list[tuple[str, str, int]] = []
    analyses = morfeusz.analyse(word)
    # `zepsułam` is `zepsuła` + the ending `m`; `przelewy24` is `przelewy` + `24`, no form of
    # `przelew`: only a word whose later segments are person endings has a reading.
    if any(
        start > 0 and tag.split(":", 1)[0] not in _ENDINGS for start, _, (_, _, tag, *_) in analyses
    ):
        return []
    for start, _end, (_orth, lemma, tag, names, qualifiers) in analyses:
        kind = tag.split(":", 1)[0]
        if start != 0 or kind in _SKIPPED_TAGS:
            continue
        qualified, key = _reading(lemma, tag)
        reading = (qualified, key, _POS_RANK.get(kind, 5))
        is_rare = _RARE_NAMES.intersection(names) or _RARE_QUALIFIERS.intersection(qualifiers)
        (rare if is_rare else common).append(reading)
    return common or rare


def _agglutinated(form: str, tag: str) -> list[str]:
    """Past forms with the person endings morfeusz2 splits off: `zepsuła` -> `zepsułam`."""
    if not tag.startswith("praet:"):
        return [form]
    if tag.startswith("praet:pl"):
        return [form, *(form + ending for ending in ("śmy", "ście", "by", "byśmy", "byście"))]
    endings = ("em", "eś") if form.endswith("ł") else ("m", "ś")
    return [form, *(form + ending for ending in (*endings, "by", "bym", "byś"))]


def _generate(words: list[str]) -> dict[str, str]:
    """Runs in a child process: morfeusz2's dictionary stays resident (~60 MB) once loaded."""
    import morfeusz2

    morfeusz = morfeusz2.Morfeusz(generate=True, analyse=True)
    readings = {word: _readings(morfeusz, word) for word in words}
    # A lemma that many written words share is the reading the texts mean: `sklep` is the shop
    # in `sklep`, `sklepu`, `sklepie`, never the imperative of `sklepić`.
    support: Counter[str] = Counter(key for options in readings.values() for _, key, _ in options)
    chosen: dict[str, tuple[str, str, int]] = {
        word: min(options, key=lambda r: (-support[r[1]], r[2], r[1]))
        for word, options in readings.items()
        if options
    }
    candidates: dict[str, set[str]] = {}
    ranks = {key: rank for _, key, rank in chosen.values()}
    for qualified in {qualified for qualified, _, _ in chosen.values()}:
        for form, lemma, tag, _names, _qualifiers in morfeusz.generate(qualified):
            _, key = _reading(lemma, tag)
            for written in _agglutinated(form, tag):
                candidates.setdefault(fold(written), set()).add(key)
    lexicon = {
        form: min(keys, key=lambda k: (-support[k], ranks.get(k, 5), k))
        for form, keys in candidates.items()
    }
    for word, (_, key, _) in chosen.items():
        lexicon.setdefault(fold(word), key)
    # Words the dictionary does not know (brands, English, typos) stand for themselves, so that
    # a misspelling of them can still be corrected towards them.
    for word in words:
        lexicon.setdefault(fold(word), fold(word))
    return lexicon


def build_lexicon(texts: Iterable[str]) -> dict[str, str]:
    """Map folded forms to folded lemmas, for every form of every lemma used in `texts`.

    morfeusz2 needs diacritics, so lemmas are found on the written text and all their generated
    forms are folded here, once: `zniknely` then finds `zniknąć`. The dictionary is loaded in a
    short-lived child process so that the service never keeps it resident.
    """
    words = sorted({word for text in texts for word in raw_words(text) if not word.isdigit()})
    # The child imports this module by name, whatever the caller's working directory.
    root = str(Path(__file__).resolve().parents[2])
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(filter(None, [root, os.environ.get("PYTHONPATH")])),
    }
    done = subprocess.run(
        [sys.executable, "-m", "bot.triage.lexicon"],
        input=json.dumps(words),
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"generating the Polish lexicon failed: {done.stderr.strip()}")
    lexicon: dict[str, str] = json.loads(done.stdout)
    # One string object per lemma: a lexicon of 100k forms shares a few thousand lemmas.
    lemmas: dict[str, str] = {}
    return {form: lemmas.setdefault(lemma, lemma) for form, lemma in lexicon.items()}


if __name__ == "__main__":
    json.dump(_generate(json.load(sys.stdin)), sys.stdout)
