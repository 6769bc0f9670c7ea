"""What BLIF and AIGER cannot say, carried in one comment line.

Netlist formats have no place for the GroupSum head, the input encoding or
lgcc's metadata.  Writers put them in a single comment ``lgcc {json}`` and
readers apply it back when it is present and still matches the netlist (a tool
such as ABC that rewrites the file drops comments, and the graph then simply
has no head).  Layer boundaries are not carried: readers rebuild the
structure through the builder, so the old boundaries would not apply.
"""

from __future__ import annotations

import json
from typing import Any

from ..errors import FormatError, GraphError
from ..graph import Encoding, Graph, Head

#: First word of the annotation comment.
TAG = "lgcc"


def annotation_text(graph: Graph) -> str | None:
    """The JSON text to put after ``lgcc`` in a comment, or None when there is nothing to carry."""
    data: dict[str, Any] = {}
    if graph.head is not None:
        data["head"] = graph.head.to_json()
    if graph.encoding is not None:
        data["encoding"] = graph.encoding.to_json()
    if graph.meta:
        data["meta"] = graph.meta
    return json.dumps(data, sort_keys=True, separators=(",", ":")) if data else None


def parse_annotation(comment: str, where: str = "<netlist>") -> dict[str, Any] | None:
    """The annotation in a comment's text (without the comment marker), or None if it is not one.

    A comment that starts like one but is not valid JSON is a :class:`FormatError`:
    a file cut inside it would otherwise silently lose its head and encoding.
    """
    text = comment.strip()
    if not text.startswith(TAG + " {"):
        return None
    try:
        data = json.loads(text[len(TAG):])
    except (json.JSONDecodeError, RecursionError):  # RecursionError: nested deeper than any lgcc writes
        raise FormatError(f"{where}: the '{TAG} {{...}}' comment (head/encoding) is not valid JSON; "
                          "the file is truncated or corrupt") from None
    return data if isinstance(data, dict) else None


def apply_annotation(graph: Graph, data: dict[str, Any] | None, where: str) -> Graph:
    """``graph`` with the head, encoding and meta of ``data``; FormatError if they do not fit it."""
    if not data:
        return graph
    try:
        head = Head.from_json(data["head"]) if data.get("head") else None
        enc = Encoding.from_json(data["encoding"]) if data.get("encoding") else None
        meta = data.get("meta") or {}
        if not isinstance(meta, dict):
            raise TypeError("its 'meta' is not a JSON object")
        return graph.copy(head=head, encoding=enc, meta={**graph.meta, **meta}).verify()
    except (GraphError, KeyError, TypeError, ValueError) as exc:
        raise FormatError(f"{where}: the lgcc comment (head/encoding) does not match the netlist: {exc}") from None
