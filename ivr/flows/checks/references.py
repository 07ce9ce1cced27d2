"""Rules about names that must exist: targets, queues, calendars, languages, recordings, URLs."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path, PurePosixPath
from urllib.parse import urlsplit

from ivr.flows import nodes as n
from ivr.flows.builtin_prompts import BUILTIN_PROMPTS
from ivr.flows.checks.walk import at, edges, node_path, prompt_parts, prompts, resolve
from ivr.flows.loaded import LoadedFlowSet
from ivr.flows.parts import BuiltinText, PromptPart
from ivr.flows.problems import Problem, did_you_mean
from ivr.flows.template import render


def targets(fs: LoadedFlowSet) -> Iterator[Problem]:
    """Every next/option/case/else/on_* target and goto names a node (or flow) that exists."""
    for name, flow in fs.flows.items():
        if flow.start not in flow.nodes:
            yield at(fs, ("flows", name, "start"), f"start node {flow.start!r} does not exist",
                     did_you_mean(flow.start, flow.nodes) or "name one of this flow's nodes")
    for edge in edges(fs):
        src_flow, src_node = edge.source
        if resolve(fs, src_flow, edge.target) is not None:
            continue
        path = node_path(src_flow, src_node, *edge.field)
        if edge.target.startswith("flow:"):
            wanted = edge.target.split(":")[1]
            if wanted not in fs.flows:
                if edge.field == ("node",):  # a goto: the flow's own line is the mistake
                    path = node_path(src_flow, src_node, "flow")
                yield at(fs, path, f"no flow named {wanted!r}",
                         did_you_mean(wanted, fs.flows) or "define it under 'flows:'")
            else:
                missing = edge.target.split(":")[-1]
                yield at(fs, path, f"flow {wanted!r} has no node {missing!r}",
                         did_you_mean(missing, fs.flows[wanted].nodes)
                         or f"name one of the nodes of flow {wanted!r}")
        else:
            yield at(fs, path, f"{edge.target!r} is not a node of flow {src_flow!r}",
                     did_you_mean(edge.target, fs.flows[src_flow].nodes)
                     or "add that node, or write flow:NAME to go to another flow")


def queues_and_calendars(fs: LoadedFlowSet) -> Iterator[Problem]:
    """Queues and hours calendars used by nodes and settings are defined."""
    queues, calendars = fs.document.queues, fs.document.calendars
    operator = fs.settings.operator_queue
    if operator is not None and operator not in queues:
        yield at(fs, ("settings", "operator_queue"), f"unknown queue {operator!r}",
                 did_you_mean(operator, queues) or "define it under 'queues:'")
    for flow_name, flow in fs.flows.items():
        for name, node in flow.nodes.items():
            if isinstance(node, n.QueueNode) and node.queue not in queues:
                yield at(fs, node_path(flow_name, name, "queue"), f"unknown queue {node.queue!r}",
                         did_you_mean(node.queue, queues) or "define it under 'queues:'")
            if not isinstance(node, n.Branch):
                continue
            for i, case in enumerate(node.cases):
                c = case.when
                where = node_path(flow_name, name, "cases", i, "when")
                if c.queue is not None and c.queue not in queues:
                    yield at(fs, (*where, "queue"), f"unknown queue {c.queue!r}",
                             did_you_mean(c.queue, queues) or "define it under 'queues:'")
                for key in ("open", "closed"):
                    cal = getattr(c, key)
                    if cal is not None and cal not in calendars:
                        yield at(fs, (*where, key), f"unknown hours calendar {cal!r}",
                                 did_you_mean(cal, calendars) or "define it under 'calendars:'")


def languages(fs: LoadedFlowSet) -> Iterator[Problem]:
    """Per-language prompts and language switches use languages listed in settings."""
    known = fs.settings.languages
    hint = f"settings.languages lists {', '.join(known)}"
    if fs.settings.default_language not in known:
        yield at(fs, ("settings", "default_language"),
                 f"default language {fs.settings.default_language!r} is not in languages", hint)
    for path, value, _node in prompts(fs):
        for leaf, lang, _part in prompt_parts(value, path):
            if lang is not None and lang not in known:
                suggestion = did_you_mean(lang, [*known, "text", "file", "voice"])
                yield at(fs, leaf, f"unknown language {lang!r} in a prompt",
                         suggestion or hint, key=True)
    for flow_name, flow in fs.flows.items():
        for name, node in flow.nodes.items():
            own = getattr(node, "language", None)
            switches: list[tuple[tuple[str | int, ...], str | None]] = [(("language",), own)]
            if isinstance(node, n.Menu):
                switches += [(("options", i, "language"), o.language)
                             for i, o in enumerate(node.options)]
            for sub, lang in switches:
                if lang is not None and lang not in known:
                    yield at(fs, node_path(flow_name, name, *sub), f"unknown language {lang!r}",
                             hint)


def recording_files(fs: LoadedFlowSet) -> Iterator[Problem]:
    """Every ``file:`` prompt exists under the recordings directory and stays inside it."""
    base = fs.recordings_dir or (fs.sources[0].parent if fs.sources else Path.cwd()) / "recordings"
    for path, value, _node in prompts(fs):
        for leaf, _lang, part in prompt_parts(value, path):
            if not isinstance(part, PromptPart) or part.file is None:
                continue
            rel = PurePosixPath(part.file)
            if rel.is_absolute() or ".." in rel.parts:
                yield at(fs, (*leaf, "file"), f"recording {part.file!r} must be a path inside "
                         "recordings/", "write it relative to recordings/, without '..'")
            elif not (base / rel).exists() and not (base / rel).with_suffix(".wav").exists():
                yield at(fs, (*leaf, "file"), f"recording {part.file!r} not found in {base}",
                         "add the file, or use text: to have it synthesised")


def builtin_prompts(fs: LoadedFlowSet) -> Iterator[Problem]:
    """Every built-in prompt exists in every language of ``settings.languages``.

    A language the project does not ship (say ``fr``) needs the flow's own texts
    under ``settings.prompts``; otherwise its callers would hear English.
    """
    settings = fs.settings
    own = settings.prompts
    for name in own:
        if name not in BUILTIN_PROMPTS:
            yield at(fs, ("settings", "prompts", name), f"no built-in prompt named {name!r}",
                     did_you_mean(name, BUILTIN_PROMPTS)
                     or f"built-ins are {', '.join(BUILTIN_PROMPTS)}", key=True)
    # A flow that set its own apology for every language needs no built-in one.
    replaced = {f for f in ("no_input", "no_match")
                if not isinstance(getattr(settings, f), BuiltinText)}
    for i, lang in enumerate(settings.languages):
        missing = [name for name, texts in BUILTIN_PROMPTS.items()
                   if name not in replaced and lang not in texts
                   and lang not in own.get(name, {})]
        if missing:
            example = missing[0]
            yield at(fs, ("settings", "languages", i),
                     f"built-in prompts missing in {lang!r}: {', '.join(missing)}",
                     f"add them under settings.prompts, e.g. prompts: {{{example}: "
                     f"{{{lang}: \"…\"}}}}")


def lookup_urls(fs: LoadedFlowSet) -> Iterator[Problem]:
    """A lookup URL is http(s) with a host, whatever its variables hold."""
    for flow_name, flow in fs.flows.items():
        for name, node in flow.nodes.items():
            if not isinstance(node, n.Lookup):
                continue
            try:
                sample = render(node.url, {}, missing="x")
            except ValueError:
                continue  # a malformed template is reported by the variables rule
            where = urlsplit(sample)
            if where.scheme not in ("http", "https") or not where.netloc:
                yield at(fs, node_path(flow_name, name, "url"),
                         f"{node.url!r} is not an http:// or https:// URL with a host",
                         "write it like http://127.0.0.1:8099/api/balance")
