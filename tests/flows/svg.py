"""Reading the SVG that Graphviz draws: nodes, edges, their colours and texts."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass, field

SVG = "{http://www.w3.org/2000/svg}"


@dataclass
class Shape:
    """One ``<g class="node|edge">`` of an SVG drawn by dot."""

    classes: list[str]
    fills: list[str] = field(default_factory=list)
    strokes: list[str] = field(default_factory=list)
    texts: list[str] = field(default_factory=list)


def parse_svg(image: bytes) -> tuple[dict[str, Shape], dict[str, list[Shape]], list[str]]:
    """Nodes by title, edges by ``tail->head`` title, and every text of the drawing."""
    root = ET.fromstring(image)
    nodes: dict[str, Shape] = {}
    edges: dict[str, list[Shape]] = {}
    for group in root.iter(f"{SVG}g"):
        classes = group.get("class", "").split()
        if "node" not in classes and "edge" not in classes:
            continue
        title = group.findtext(f"{SVG}title") or ""
        shape = Shape(classes)
        for element in group.iter():
            tag = element.tag.removeprefix(SVG)
            if tag in ("path", "polygon", "ellipse") and element.get("fill") not in (None, "none"):
                shape.fills.append(element.get("fill", ""))
            if tag in ("path", "polygon", "ellipse") and element.get("stroke"):
                shape.strokes.append(element.get("stroke", ""))
            if tag == "text" and element.text:
                shape.texts.append(element.text)
        if "node" in classes:
            nodes[title] = shape
        else:
            edges.setdefault(title, []).append(shape)
    texts = [t.text for t in root.iter(f"{SVG}text") if t.text]
    return nodes, edges, texts
