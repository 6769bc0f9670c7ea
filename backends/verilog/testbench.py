"""``tb_model.v`` and ``vectors.mem``: a self-checking testbench fed by the reference simulator.

``vectors.mem`` holds up to :data:`~.options.MAX_VECTORS` lines (~3.7 GB for a 784-input
model), so it is made a chunk of vectors at a time (drawn, simulated, formatted) and
handed to the writer as a sequence of text pieces: memory is bounded by one chunk,
whatever ``--vectors`` is.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from lgcc.ir.graph import Graph
from lgcc.ir.simulate import scores, simulate

from .module import ModuleInfo, template
from .options import VerilogOptions

#: Most vectors drawn, simulated and formatted at a time (tests lower it to put chunk seams in small files).
CHUNK_VECTORS = 1 << 16
#: Memory budget of one chunk's arrays: a model with many inputs or outputs gets fewer vectors per chunk.
CHUNK_BYTES = 64 << 20

_HEX_ASCII = np.frombuffer(b"0123456789abcdef", dtype=np.uint8)


def chunk_vectors(graph: Graph, info: ModuleInfo) -> int:
    """Vectors per chunk: :data:`CHUNK_VECTORS`, or fewer where one vector's arrays would pass :data:`CHUNK_BYTES`.

    A vector costs about 8 bytes per input (the int64 random draw: the dtype the
    vectors' random stream was fixed with), a byte per output in each of the
    simulator's two unpacked copies, and 8 bytes per expected-result bit.
    """
    per_vector = 8 * graph.n_inputs + 2 * graph.n_outputs + 8 * info.result_width
    return max(1, min(CHUNK_VECTORS, CHUNK_BYTES // per_vector))


def input_chunks(graph: Graph, n: int, seed: int, size: int) -> Iterator[np.ndarray]:
    """``n`` input vectors in chunks of ``size`` rows: all zeros, all ones, then uniform random bits.

    Consecutive draws from one generator continue its stream, so the vectors are
    the same whatever ``size`` is (the first two are drawn too, then overwritten).
    """
    rng = np.random.default_rng(seed)
    for start in range(0, n, size):
        bits = rng.integers(0, 2, (min(size, n - start), graph.n_inputs)).astype(bool)
        for row, value in ((0, False), (1, True)):
            if start <= row < start + len(bits):
                bits[row - start] = value
        yield bits


def expected_bits(graph: Graph, info: ModuleInfo, bits: np.ndarray) -> np.ndarray:
    """The module's result ``{class_id, scores}`` (or ``y``) per vector, bits LSB first (bool)."""
    if info.outputs == "y":
        return simulate(graph, bits)
    s = scores(graph, bits)  # one simulation gives both: the class is the argmax of these scores
    parts = []
    if info.outputs in ("scores", "both"):
        w = info.score_width
        masked = s & ((1 << w) - 1)  # two's complement of negative scores
        parts.append(((masked[:, :, None] >> np.arange(w)) & 1).reshape(len(bits), -1))
    if info.outputs in ("class", "both"):
        label = np.argmax(s, axis=1)  # first maximum: ties to the lowest class, as lgcc.ir.simulate.predict
        parts.append((label[:, None] >> np.arange(info.class_width)) & 1)
    return np.concatenate(parts, axis=1).astype(bool)


def hex_lines(bits: np.ndarray) -> str:
    """Rows of bits (LSB first) as lines of hex digits, most significant first, each ending in a newline."""
    n, w = bits.shape
    digits = -(-w // 4)
    padded = np.zeros((n, digits, 4), dtype=np.uint8)
    padded.reshape(n, digits * 4)[:, :w] = bits
    nibbles = np.packbits(padded, axis=2, bitorder="little")[:, ::-1, 0]
    text = np.empty((n, digits + 1), dtype=np.uint8)
    text[:, :digits] = _HEX_ASCII[nibbles]
    text[:, digits] = ord("\n")
    return text.tobytes().decode("ascii")


@dataclass(frozen=True, eq=False)
class VectorsMem:
    """``vectors.mem``: one ``{expected, x}`` hex number per line, for ``$readmemh``.

    Iterating yields the file's text in pieces, the header line then one chunk of
    vectors per piece (see :func:`chunk_vectors`), made on demand so the whole
    file is never in memory; every iteration yields the same text.
    """

    graph: Graph
    info: ModuleInfo
    opts: VerilogOptions

    def __iter__(self) -> Iterator[str]:
        graph, info, opts = self.graph, self.info, self.opts
        yield (f"// {opts.vectors} vectors for {info.top}, seed {opts.vector_seed}: "
               f"{{expected result ({info.result_width} bits), x ({info.n_inputs} bits)}} in hex\n")
        for bits in input_chunks(graph, opts.vectors, opts.vector_seed, chunk_vectors(graph, info)):
            yield hex_lines(np.concatenate([bits, expected_bits(graph, info, bits)], axis=1))


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
