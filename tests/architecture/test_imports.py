"""The layering the README draws holds: no import cycle, and ivr/agi/ is pure FastAGI."""

from __future__ import annotations

from tests.architecture.imports import cycles, graph

#: Leaf helpers of the standard-library kind that any package may use (they import nothing
#: of ours themselves; checked below).
LEAVES = {"ivr.ratelimit"}


def test_no_import_cycle_anywhere_in_ivr() -> None:
    assert cycles(graph()) == []


def test_the_cycle_finder_finds_a_cycle() -> None:
    # So the test above cannot pass for want of reading the arrows.
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert "ivr.interpreter.lookup" in graph()["ivr.interpreter.session"]


def test_agi_is_pure_fastagi() -> None:
    outside = {
        f"{module} -> {target}"
        for module, targets in graph().items() if module.startswith("ivr.agi")
        for target in targets
        if not target.startswith("ivr.agi") and target not in LEAVES
    }
    assert outside == set()


def test_leaf_helpers_import_nothing_of_ours() -> None:
    edges = graph()
    assert {leaf: edges[leaf] for leaf in LEAVES} == {leaf: set() for leaf in LEAVES}


def test_no_cycle_between_packages_either() -> None:
    """Folded to packages (``ivr.calls``, ``ivr.flows`` …) the arrows still run one way."""

    def package(module: str) -> str:
        return ".".join(module.split(".")[:2])

    folded: dict[str, set[str]] = {}
    for module, targets in graph().items():
        folded.setdefault(package(module), set()).update(
            package(t) for t in targets if package(t) != package(module))
    assert cycles(folded) == []
