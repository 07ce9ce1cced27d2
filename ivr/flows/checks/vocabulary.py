"""Speech menus the recogniser can hear: known words, options that sound different.

Vosk silently drops grammar words that are not in the model's vocabulary, so
a phrase with such a word can never be recognised as written; and two
options whose phrases sound nearly the same will be confused. Both are
warnings (the menu still works by key). The rules are pure: the caller
passes each language's vocabulary (``ivr validate`` reads it from the
configured or packaged model; see :func:`ivr.speech.models.vocabulary_for`).
"""

from __future__ import annotations

import difflib
import unicodedata
from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING

from ivr.flows import nodes as n
from ivr.flows.checks.walk import at, node_path
from ivr.flows.matching import normalise
from ivr.flows.problems import Problem

if TYPE_CHECKING:
    from ivr.flows.loader import LoadedFlowSet

#: Phrases at least this similar (0..1, over their letters; Hangul split into jamo) are
#: likely to be confused by the recogniser.
CONFUSABLE = 0.8


def _sounds(phrase: str) -> str:
    # Hangul syllables decompose into jamo, so 해지/해제 differ by one letter, not one syllable.
    return unicodedata.normalize("NFD", normalise(phrase)).replace(" ", "")


def similarity(a: str, b: str) -> float:
    """How alike two phrases are written (a stand-in for how alike they sound), 0..1."""
    return difflib.SequenceMatcher(None, _sounds(a), _sounds(b)).ratio()


def _menus(fs: LoadedFlowSet) -> Iterator[tuple[str, str, str, n.Menu]]:
    for flow_name, flow in fs.flows.items():
        language = flow.language or fs.settings.default_language
        for name, node in flow.nodes.items():
            if isinstance(node, n.Menu):
                yield flow_name, name, language, node


def unknown_words(
    fs: LoadedFlowSet, vocabularies: Mapping[str, frozenset[str]]
) -> Iterator[Problem]:
    """Warn for every menu phrase with a word the language's model cannot output."""
    for flow_name, name, language, node in _menus(fs):
        vocab = vocabularies.get(language)
        if not vocab:
            continue
        for i, option in enumerate(node.options):
            for j, phrase in enumerate(option.say):
                missing = [w for w in normalise(phrase).split() if w not in vocab]
                if missing:
                    yield at(fs, node_path(flow_name, name, "options", i, "say", j),
                             f"the {language} speech model cannot hear "
                             f"{', '.join(repr(w) for w in missing)} in {phrase!r}; "
                             "the recogniser drops such words",
                             "use a word the model knows (check with `ivr asr --phrases`), "
                             "e.g. split a compound into its parts", severity="warning")


def confusable_options(fs: LoadedFlowSet) -> Iterator[Problem]:
    """Warn when phrases of two different options of one menu are nearly the same."""
    for flow_name, name, _, node in _menus(fs):
        said = [(i, j, p) for i, o in enumerate(node.options) for j, p in enumerate(o.say)]
        for k, (i, j, a) in enumerate(said):
            for i2, _, b in said[k + 1 :]:
                if i2 != i and normalise(a) != normalise(b) and similarity(a, b) >= CONFUSABLE:
                    yield at(fs, node_path(flow_name, name, "options", i, "say", j),
                             f"options {i + 1} ({a!r}) and {i2 + 1} ({b!r}) of menu {name!r} "
                             f"sound almost the same ({similarity(a, b):.0%} alike)",
                             "reword one of them so callers and the recogniser can tell "
                             "them apart", severity="warning")
