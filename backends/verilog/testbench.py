"""``tb_model.v`` and ``vectors.mem``: a self-checking testbench fed by the reference simulator."""

from __future__ import annotations

import numpy as np

from lgcc.ir.graph import Graph
from lgcc.ir.simulate import predict, scores, simulate

from .module import ModuleInfo, template
from .options import VerilogOptions

_HEX = np.array(list("0123456789abcdef"))


def make_inputs(graph: Graph, n: int, seed: int) -> np.ndarray:
    """``n`` input vectors: all zeros, all ones, then uniform random bits drawn with ``seed``."""
    bits = np.random.default_rng(seed).integers(0, 2, (n, graph.n_inputs)).astype(bool)
    bits[0] = False
    if n > 1:
        bits[1] = True
    return bits


def expected_bits(graph: Graph, info: ModuleInfo, bits: np.ndarray) -> np.ndarray:
    """The module's result ``{class_id, scores}`` (or ``y``) per vector, bits LSB first (bool)."""
    if info.outputs == "y":
        return simulate(graph, bits)
    parts = []
    if info.outputs in ("scores", "both"):
        w = info.score_width
        s = scores(graph, bits) & ((1 << w) - 1)  # two's complement of negative scores
        parts.append(((s[:, :, None] >> np.arange(w)) & 1).reshape(len(bits), -1))
    if info.outputs in ("class", "both"):
        label = predict(graph, bits)
        parts.append((label[:, None] >> np.arange(info.class_width)) & 1)
    return np.concatenate(parts, axis=1).astype(bool)


def hex_rows(bits: np.ndarray) -> list[str]:
    """Rows of bits (LSB first) as hex numbers, most significant digit first."""
    n, w = bits.shape
    digits = -(-w // 4)
    padded = np.zeros((n, digits * 4), dtype=np.uint8)
    padded[:, :w] = bits
    vals = padded.reshape(n, digits, 4) @ np.array([1, 2, 4, 8])
    chars = _HEX[vals[:, ::-1]]
    return ["".join(row) for row in chars.tolist()]


def vectors_mem(graph: Graph, info: ModuleInfo, opts: VerilogOptions) -> str:
    """``vectors.mem``: one ``{expected, x}`` hex number per line, for ``$readmemh``."""
    bits = make_inputs(graph, opts.vectors, opts.vector_seed)
    rows = hex_rows(np.concatenate([bits, expected_bits(graph, info, bits)], axis=1))
    head = (f"// {opts.vectors} vectors for {info.top}, seed {opts.vector_seed}: "
            f"{{expected result ({info.result_width} bits), x ({info.n_inputs} bits)}} in hex\n")
    return head + "\n".join(rows) + "\n"


def testbench(info: ModuleInfo, opts: VerilogOptions) -> str:
    """``tb_model.v`` for the module described by ``info``."""
    outputs = [dict(p, range=f"[{p['width'] - 1}:0] " if p["width"] > 1 or p["name"] in ("y", "scores") else "")
               for p in info.ports if p["direction"] == "output" and p["name"] != "out_valid"]
    names = [p["name"] for p in outputs]
    result = names[0] if len(names) == 1 else "{" + ", ".join(reversed(names)) + "}"
    return template("tb_model.v.j2").render(
        top=info.top, n_inputs=info.n_inputs, result_width=info.result_width, n_vectors=opts.vectors,
        pipelined=info.per_stage > 0, latency=info.latency, reset=info.reset, outputs=outputs,
        result_expr=result, port_conns=", ".join(f".{n}({n})" for n in names))
