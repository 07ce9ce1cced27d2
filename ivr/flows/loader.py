"""Read ``flows.yaml`` (and its includes) into a :class:`FlowSet`, or say exactly what is wrong.

YAML is composed into nodes first so every key and value keeps its
``line:column``; schema errors from pydantic are mapped back to those marks.
Loading is all or nothing: any error raises :class:`FlowErrors` listing every
problem, so a live reload never half-applies a broken edit.
"""

from __future__ import annotations

import dataclasses
import hashlib
import os
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from ivr.flows.loaded import LoadedFlowSet
from ivr.flows.model import FlowFile
from ivr.flows.nodes import Node
from ivr.flows.problems import FlowErrors, Problem, did_you_mean
from ivr.flows.validate import check
from ivr.flows.yamlread import DocPath, Mark, Positions, parse_text

__all__ = ["DocPath", "LoadedFlowSet", "Mark", "Positions", "load_flowset", "parse_flowset"]


def load_flowset(path: Path, recordings_dir: Path | None = None) -> LoadedFlowSet:
    """Load *path* and its includes; raise :class:`FlowErrors` if anything is wrong.

    ``file:`` prompts are looked up in *recordings_dir* (default: ``recordings/``
    beside *path*). Nothing else escapes: a loader error is never a traceback.
    """
    return _guarded(str(path), lambda: _load(path, recordings_dir))


def parse_flowset(text: str, filename: str = "flows.yaml") -> LoadedFlowSet:
    """Load flows from *text* (includes resolve against the current directory)."""
    return _guarded(filename, lambda: _parse(text, filename))


#: When each flow file was last changed: (path, mtime in ns, size), -1s for a missing file.
Stamp = tuple[tuple[str, int, int], ...]


def files_stamp(path: Path, sources: Iterable[Path] = ()) -> Stamp:
    """Stamp *path*, the files it included (*sources*) and, for a folder, its YAML files.

    The service's reload and the dashboard both compare stamps, so an edit to an
    included file is noticed as well as one to the main file.
    """
    files = {path, *sources}
    if path.is_dir():
        files.update(path.rglob("*.yaml"))
    out = []
    for file in sorted(files):
        try:
            st = file.stat()
        except OSError:
            out.append((str(file), -1, -1))
            continue
        out.append((str(file), st.st_mtime_ns, st.st_size))
    return tuple(out)


def _guarded(filename: str, load: Callable[[], LoadedFlowSet]) -> LoadedFlowSet:
    try:
        return load()
    except FlowErrors:
        raise
    except Exception as exc:  # the safety net: report, never a traceback
        raise FlowErrors([Problem(
            filename, 1, 1, f"cannot load this file ({type(exc).__name__}: {exc})",
            "this is a bug in ivr's checks; please report it with the file",
        )]) from exc


def _load(path: Path, recordings_dir: Path | None) -> LoadedFlowSet:
    texts: dict[Path, str] = {}
    positions = Positions()
    problems: list[Problem] = []
    data = _read(path, texts, positions, problems, stack=())
    if problems:
        raise FlowErrors(problems)
    # Names relative to the main file: the same files give the same version however the
    # path was spelt (the service and the dashboard may be started from other folders).
    named = sorted((Path(os.path.relpath(p, path.parent)).as_posix(), t) for p, t in texts.items())
    version = hashlib.sha256(
        b"".join(name.encode() + b"\0" + t.encode() for name, t in named)
    ).hexdigest()[:12]
    flowset = _validate(data, version, tuple(texts), positions)
    if recordings_dir is not None:
        flowset = dataclasses.replace(flowset, recordings_dir=recordings_dir)
    found = check(flowset)
    if any(p.severity == "error" for p in found):
        raise FlowErrors(found)
    return flowset


def _parse(text: str, filename: str) -> LoadedFlowSet:
    positions = Positions()
    problems: list[Problem] = []
    data = parse_text(text, filename, positions, problems, prefix=())
    if problems:
        raise FlowErrors(problems)
    data = data if isinstance(data, dict) else {}
    version = hashlib.sha256(text.encode()).hexdigest()[:12]
    flowset = _validate(data, version, (), positions)
    found = check(flowset)
    if any(p.severity == "error" for p in found):
        raise FlowErrors(found)
    return flowset


# Reading YAML with positions ---------------------------------------------------------------


def _read(
    path: Path,
    texts: dict[Path, str],
    positions: Positions,
    problems: list[Problem],
    stack: tuple[Path, ...],
) -> dict[str, Any]:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        problems.append(Problem(str(path), 1, 1, f"cannot read: {exc.strerror}",
                                "check the path and permissions"))
        return {}
    except UnicodeDecodeError as exc:
        raw = path.read_bytes()[: exc.start]
        line = raw.count(b"\n") + 1
        col = exc.start - (raw.rfind(b"\n") + 1) + 1
        problems.append(Problem(str(path), line, col, "the file is not UTF-8 text",
                                "save it as UTF-8 (most editors offer it under 'encoding')"))
        return {}
    texts[path] = text
    own = Positions()
    data = parse_text(text, str(path), own, problems, prefix=())
    if not isinstance(data, dict):
        if data is not None:
            problems.append(Problem(str(path), 1, 1, "the file must be a mapping",
                                    "start with keys like 'settings:' and 'flows:'"))
        return {}
    includes = data.get("include") or []
    if not isinstance(includes, list):
        includes = []  # the schema reports the type
    for i, name in enumerate(includes):
        if not isinstance(name, str):
            continue
        mark = own.value(("include", i))
        child = (path.parent / name).resolve()
        if child in stack or child == path.resolve():
            problems.append(Problem(mark.file, mark.line, mark.col,
                                    f"include cycle: {name} includes this file again",
                                    "remove one of the includes"))
            continue
        if not child.is_file():
            what = "is a folder, not a file" if child.is_dir() else "does not exist"
            problems.append(Problem(mark.file, mark.line, mark.col,
                                    f"included file {name} {what}",
                                    f"create it or fix the path (looked in {child.parent})"))
            continue
        sub = _read(child, texts, positions, problems, (*stack, path.resolve()))
        _merge(data, sub, own, positions, problems)
    # The including file's marks win for the parts it wrote itself.
    positions.values.update(own.values)
    positions.keys.update(own.keys)
    return data


def _merge(
    into: dict[str, Any],
    sub: dict[str, Any],
    own: Positions,
    positions: Positions,
    problems: list[Problem],
) -> None:
    """Add an included file's flows, calendars and queues; a name defined twice is an error."""
    for section in ("flows", "calendars", "queues"):
        extra = sub.get(section) or {}
        if not isinstance(extra, dict):
            continue
        target = into.setdefault(section, {})
        if not isinstance(target, dict):
            continue
        for name, value in extra.items():
            if name in target:
                here, there = own.key((section, name)), positions.key((section, name))
                problems.append(Problem(
                    here.file, here.line, here.col,
                    f"{section[:-1]} {name!r} is defined twice",
                    f"also at {there.file}:{there.line}:{there.col}; rename one",
                ))
                continue
            target[name] = value
    for key in sub:
        if key not in ("flows", "calendars", "queues", "include", "version"):
            mark = positions.key((key,))
            problems.append(Problem(mark.file, mark.line, mark.col,
                                    f"an included file may only hold flows, calendars and "
                                    f"queues, not {key!r}", "move it to the main file"))


# Schema validation with positions ---------------------------------------------------------


def _validate(
    data: dict[str, Any], version: str, sources: tuple[Path, ...], positions: Positions
) -> LoadedFlowSet:
    try:
        document = FlowFile.model_validate(data)
    except ValidationError as exc:
        raise FlowErrors(list(_schema_problems(exc, data, positions))) from None
    return LoadedFlowSet(document, version, sources, positions)


def _schema_problems(
    exc: ValidationError, data: dict[str, Any], positions: Positions
) -> Iterator[Problem]:
    seen: set[DocPath] = set()
    for error in exc.errors():
        path = _data_path(data, error["loc"])
        kind = error["type"]
        if kind == "extra_forbidden":
            key = str(error["loc"][-1])
            mark = positions.key(path)
            hint = (f"{key!r} does not belong here; remove it or move it" if key in _FIELD_NAMES
                    else did_you_mean(key, _FIELD_NAMES) or "remove it")
            message = f"unknown key {key!r}"
        elif kind == "missing":
            mark = positions.value(path)
            missing = str(error["loc"][-1])
            message, hint = f"missing required key {missing!r}", f"add '{missing}:' here"
            parent = _at(data, path[:-1]) if len(path) > 1 else None
            if isinstance(parent, dict) and missing in parent:
                there = positions.key((*path[:-1], missing))
                hint = (f"'{missing}:' at line {there.line} is not indented under this node; "
                        "check the indentation")
        elif kind == "union_tag_not_found":
            mark = positions.value(path)
            message = "missing required key 'type'"
            hint = f"add 'type:' with one of {', '.join(_NODE_TYPES)}"
        elif kind == "union_tag_invalid":
            mark = positions.value((*path, "type")) if "type" in _at(data, path) else \
                positions.value(path)
            tag = error.get("ctx", {}).get("tag", "")
            message = f"unknown node type {tag!r}"
            hint = did_you_mean(str(tag), _NODE_TYPES) or f"use one of {', '.join(_NODE_TYPES)}"
        else:
            mark = _named_key(data, path, str(error["msg"]), positions)
            where = ".".join(str(p) for p in path[-2:])
            got = error.get("input")
            shown = f" (got {got!r})" if isinstance(got, str | int | float) else ""
            message = f"{where}: {error['msg']}{shown}"
            hint = None
            if isinstance(got, bool) and kind in ("string_type", "value_error"):
                # YAML 1.1 reads bare on/off/yes/no as booleans.
                hint = "YAML reads on/off/yes/no as true/false: put the word in quotes"
            elif kind in ("model_attributes_type", "dict_type", "model_type"):
                hint = _mapping_hint(path, got)
                if got is None:
                    mark = positions.key(path)  # an empty value has no place of its own
        if path in seen and kind not in ("extra_forbidden", "missing"):
            continue  # one message per place: a bad prompt fails every union member
        seen.add(path)
        yield Problem(mark.file, mark.line, mark.col, message, hint)


def _mapping_hint(path: DocPath, got: Any) -> str | None:
    """Why a mapping was expected but not found: most often a line indented too little."""
    name = str(path[-1]) if path else ""
    if got is None:
        return f"nothing is indented under '{name}:'; check the indentation of the lines below"
    if name in _FIELD_NAMES:
        return (f"'{name}:' looks like a key of the part above it: check the indentation "
                "(indent it under that node)")
    return None


def _named_key(data: Any, path: DocPath, message: str, positions: Positions) -> Mark:
    """Point a whole-mapping error (``min_digits (6) > max_digits (4)``) at the key it names."""
    here = _at(data, path)
    if isinstance(here, dict):
        named = [(message.find(k), k) for k in here if isinstance(k, str) and k in message]
        if named:
            return positions.key((*path, min(named)[1]))
    return positions.value(path)


def _at(data: Any, path: DocPath) -> Any:
    for part in path:
        data = data[part]
    return data


def _data_path(data: Any, loc: tuple[str | int, ...]) -> DocPath:
    """Follow pydantic's *loc* through the data, skipping union tags and model names."""
    path: list[str | int] = []
    current = data
    for part in loc:
        child = _child(current, part)
        if child is _MISSING:
            continue  # a union member or model name pydantic put in the location
        path.append(part)
        current = child
    return tuple(path)


_MISSING = object()


def _child(container: Any, part: str | int) -> Any:
    if isinstance(container, dict):
        return container.get(part, _MISSING)
    if isinstance(container, list) and isinstance(part, int) and 0 <= part < len(container):
        return container[part]
    return _MISSING


def _all_fields(model: type[BaseModel], seen: set[type[BaseModel]]) -> set[str]:
    if model in seen:
        return set()
    seen.add(model)
    names: set[str] = set()
    for name, info in model.model_fields.items():
        names.add(info.alias or name)
        for sub in _models_in(info.annotation):
            names |= _all_fields(sub, seen)
    return names


def _models_in(annotation: Any) -> Iterator[type[BaseModel]]:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        yield annotation
    for arg in getattr(annotation, "__args__", ()) or ():
        yield from _models_in(arg)
    origin = getattr(annotation, "__origin__", None)
    if origin is not None and origin is not annotation:
        yield from _models_in(origin)


_FIELD_NAMES = sorted(_all_fields(FlowFile, set()))
_NODE_TYPES = sorted(
    m.model_fields["type"].annotation.__args__[0]  # type: ignore[union-attr]
    for m in _models_in(Node)
)
