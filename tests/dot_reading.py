"""Reading drawn graphs back: DOT source into nodes, edges and clusters, SVG into its texts.
Shared by the renderer's tests and the module-drawing tests."""

import re
import xml.etree.ElementTree as ET

_ATTR = re.compile(r'(\w+)=("(?:[^"\\]|\\.)*"|[^\s\]]+)')


def _unescape(value):
    if value.startswith('"'):
        value = value[1:-1]
    return re.sub(r"\\(.)", lambda m: "\n" if m[1] == "n" else m[1], value)


def _attrs(text):
    return {k: _unescape(v) for k, v in _ATTR.findall(text or "")}


def parse(source):
    """Nodes (id -> attrs), edges [(tail, head, attrs)], clusters (name -> label, parent, nodes)."""
    nodes, edges, clusters, open_clusters = {}, [], {}, []
    for line in source.splitlines():
        s = line.strip()
        m = re.match(r"subgraph (\w+) \{$", s)
        if m:
            clusters[m[1]] = {"parent": open_clusters[-1] if open_clusters else None, "nodes": set(), "label": None}
            open_clusters.append(m[1])
            continue
        if s == "}":
            if open_clusters:
                open_clusters.pop()
            continue
        if s.startswith("graph [") and open_clusters:
            clusters[open_clusters[-1]]["label"] = _attrs(s[7:-1]).get("label")
            continue
        if s.startswith(("digraph", "graph [", "node [", "edge [")):
            continue
        m = re.match(r"(\w+) -> (\w+)(?: \[(.*)\])?$", s)
        if m:
            edges.append((m[1], m[2], _attrs(m[3])))
            continue
        m = re.match(r"(\w+) \[(.*)\]$", s)
        if m:
            nodes[m[1]] = _attrs(m[2])
            for c in open_clusters:
                clusters[c]["nodes"].add(m[1])
    return nodes, edges, clusters


def by_first_line(nodes):
    """Node ids keyed by the first line of their label (names, op names, records' first field)."""
    out = {}
    for ident, attrs in nodes.items():
        first = attrs["label"].strip("{ ").split("\n")[0].split(" | ")[0].strip()
        out.setdefault(first, []).append(ident)
    return out


def cluster_named(clusters, name):
    found = [c for c, info in clusters.items() if info["label"] and info["label"].split(":")[0] == name]
    assert len(found) == 1, (name, clusters)
    return found[0]


def _svg_texts(svg_bytes):
    root = ET.fromstring(svg_bytes)
    assert root.tag.endswith("svg")
    return [el.text for el in root.iter() if el.tag.endswith("text") and el.text]


