"""Read a Vosk model's word list, to know whether it has ``[unk]`` and which phrases it can hear.

Big Vosk models ship ``graph/words.txt``; small (look-ahead) models embed the
word symbol table in ``graph/Gr.fst`` instead. A grammar word missing from
the list is silently dropped by Vosk, so menus must be checked against it.
"""

from __future__ import annotations

import struct
from collections.abc import Iterable
from pathlib import Path

_FST_MAGIC = 2125659606
_SYMS_MAGIC = 2125658996
_HAS_ISYMBOLS = 1


class VocabularyError(ValueError):
    """The model directory holds no word list this reader understands."""


def _read_fst_input_symbols(path: Path) -> list[str]:
    """Return the input symbol table stored in an OpenFst binary file header."""
    with path.open("rb") as fh:
        data = fh.read(64 * 1024 * 1024)
    pos = 0

    def take(fmt: str) -> int:
        nonlocal pos
        (value,) = struct.unpack_from(fmt, data, pos)
        pos += struct.calcsize(fmt)
        return int(value)

    def text() -> str:
        nonlocal pos
        n = take("<i")
        value = data[pos : pos + n].decode("utf-8", "replace")
        pos += n
        return value

    if take("<i") != _FST_MAGIC:
        raise VocabularyError(f"{path} is not an OpenFst file")
    text()  # fst type
    text()  # arc type
    take("<i")  # version
    flags = take("<i")
    pos += 8 * 4  # properties, start, num states, num arcs
    if not flags & _HAS_ISYMBOLS:
        raise VocabularyError(f"{path} carries no symbol table")
    if take("<i") != _SYMS_MAGIC:
        raise VocabularyError(f"{path} has a malformed symbol table")
    text()  # table name
    take("<q")  # available key
    size = take("<q")
    words: list[str] = []
    for _ in range(size):
        words.append(text())
        take("<q")
    return words


def read_vocabulary(model_dir: Path) -> frozenset[str]:
    """All words the model at *model_dir* can output."""
    words_txt = model_dir / "graph" / "words.txt"
    if words_txt.is_file():
        lines = words_txt.read_text(encoding="utf-8").splitlines()
        return frozenset(line.split()[0] for line in lines if line.strip())
    for name in ("Gr.fst", "HCLG.fst"):
        fst = model_dir / "graph" / name
        if fst.is_file():
            return frozenset(_read_fst_input_symbols(fst))
    raise VocabularyError(f"no graph/words.txt or graph/Gr.fst under {model_dir}")


def missing_words(phrases: Iterable[str], vocabulary: frozenset[str]) -> list[str]:
    """Words of *phrases* the model cannot hear, in first-seen order."""
    seen: dict[str, None] = {}
    for phrase in phrases:
        for word in phrase.split():
            if word not in vocabulary and word != "[unk]":
                seen.setdefault(word, None)
    return list(seen)
