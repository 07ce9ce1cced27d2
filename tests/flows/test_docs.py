"""The tour in ``docs/flows.md`` is a real, valid flows file."""

from __future__ import annotations

from pathlib import Path

from ivr.flows.loader import load_flowset
from ivr.flows.nodes import Node
from ivr.flows.validate import check

DOC = Path(__file__).resolve().parent.parent.parent / "docs" / "flows.md"


def test_the_tour_validates_clean_and_shows_every_node_kind(tmp_path: Path) -> None:
    text = DOC.read_text(encoding="utf-8").split("```yaml\n", 1)[1].split("```", 1)[0]
    path = tmp_path / "flows.yaml"
    path.write_text(text, encoding="utf-8")
    (tmp_path / "closed.wav").write_bytes(b"RIFF")
    flowset = load_flowset(path, recordings_dir=tmp_path)
    assert check(flowset) == []
    kinds = {node.type for flow in flowset.document.flows.values() for node in flow.nodes.values()}
    assert kinds == {m.model_fields["type"].annotation.__args__[0]
                     for m in Node.__args__}


def test_the_readme_excerpt_matches_the_shipped_example() -> None:
    import yaml

    readme = DOC.parent.parent / "README.md"
    text = readme.read_text(encoding="utf-8").split("```yaml\n", 1)[1].split("```", 1)[0]
    excerpt = yaml.safe_load(text)
    shipped = load_flowset(DOC.parent.parent / "flows.yaml").document
    for flow, body in excerpt["flows"].items():
        for name, node in body["nodes"].items():
            real = shipped.flows[flow].nodes[name]
            assert real.type == node["type"], (flow, name)
            for key in ("variable", "queue", "url", "next", "on_failure", "sensitive"):
                if key in node:
                    assert getattr(real, key) == node[key], (flow, name, key)
    assert excerpt["settings"]["keys"] == shipped.settings.keys.model_dump()
