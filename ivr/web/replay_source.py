"""Where the dashboard's replay page takes the changed flows from, safely.

Two sources, neither of which lets a request name a path on the server:

- a file the server already has: one of the YAML files beside the deployed flows
  file, chosen by its name from the list the page offered (the name must be in
  that list; it is never joined to a path as given);
- an upload: written to a private temporary folder and loaded from there. Its
  ``include:`` entries must be relative paths without ``..`` that lead to files
  inside the deployed file's folder; each is linked into the temporary folder, so
  the loader sees nothing else of the server.

Either way the flows are loaded and validated as ``ivr validate`` would, and a
file with errors is refused with its problems.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from pathlib import Path, PurePosixPath
from typing import Any

import yaml

from ivr.flows.loader import LoadedFlowSet, load_flowset
from ivr.flows.problems import FlowErrors
from ivr.flows.validate import check

#: Largest upload read (the dashboard refuses request bodies over 64 KiB anyway).
MAX_UPLOAD = 60 * 1024
SUFFIXES = (".yaml", ".yml")


class SourceError(ValueError):
    """The chosen or uploaded flows cannot be used; the message says why."""


def candidates(deployed: Path) -> list[str]:
    """Names of the YAML files beside the deployed flows file (the deployed one included)."""
    try:
        return sorted(p.name for p in deployed.parent.iterdir()
                      if p.suffix in SUFFIXES and p.is_file() and not p.name.startswith("."))
    except OSError:
        return []


def load_named(deployed: Path, name: str) -> LoadedFlowSet:
    """The flows file *name* from :func:`candidates`; anything else is refused."""
    if name not in candidates(deployed):
        raise SourceError("choose one of the files listed, or upload one")
    return _checked(lambda: load_flowset(deployed.parent / name))


def load_uploaded(deployed: Path, raw: bytes) -> LoadedFlowSet:
    """The uploaded flows file *raw*, with includes only from the deployed file's folder."""
    if len(raw) > MAX_UPLOAD:
        raise SourceError(f"the file is larger than {MAX_UPLOAD // 1024} KiB")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise SourceError("the file is not UTF-8 text") from None
    base = deployed.parent.resolve()
    with tempfile.TemporaryDirectory(prefix="ivr-replay-") as tmp:
        folder = Path(tmp)
        for name in _includes(text):
            target = _include_target(base, name)
            link = folder / name
            link.parent.mkdir(parents=True, exist_ok=True)
            if not link.exists():
                link.symlink_to(target)
        path = folder / "uploaded.yaml"
        path.write_text(text, encoding="utf-8")
        return _checked(lambda: load_flowset(path, recordings_dir=base / "recordings"))


def _includes(text: str) -> list[str]:
    """The upload's include names (malformed YAML: none; the loader then reports it)."""
    try:
        data: Any = yaml.safe_load(text)
    except yaml.YAMLError:
        return []
    includes = data.get("include") if isinstance(data, dict) else None
    return [i for i in includes if isinstance(i, str)] if isinstance(includes, list) else []


def _include_target(base: Path, name: str) -> Path:
    """The file *name* includes, if it is a file inside *base*; refuse it otherwise."""
    parts = PurePosixPath(name).parts
    target = (base / name).resolve()
    if (not parts or PurePosixPath(name).is_absolute() or ".." in parts or "\\" in name
            or not target.is_relative_to(base) or not target.is_file()):
        raise SourceError(f"include {name!r}: an uploaded file may include only files in "
                          "the deployed flows folder, by a relative path without '..'")
    return target


def _checked(load: Callable[[], LoadedFlowSet]) -> LoadedFlowSet:
    """Load, then refuse a flowset that ``ivr validate`` would report errors for."""
    flowset = load()
    errors = [p for p in check(flowset) if p.severity == "error"]
    if errors:
        raise FlowErrors(errors)
    return flowset
