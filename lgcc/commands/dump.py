"""``lgcc dump``: text, JSON, Graphviz DOT or GraphML view of a graph or part of it."""

from __future__ import annotations

import argparse
import sys

from lgcc.ir.dump import DEFAULT_MAX_NODES, FORMATS, dump_chunks, select
from lgcc.ir.dump.select import LAYOUT_MAX_NODES
from lgcc.ir.errors import LgccError
from lgcc.ir.fileio import atomic_path
from lgcc.loading import load_graph

NAME = "dump"
HELP = "show a graph (or a layer range / output cone of it) as text, JSON, DOT or GraphML"
EXAMPLES = [
    "lgcc dump model.lgir --max-nodes 0     # text, every gate (no --max-nodes limit)",
    "lgcc dump model.lgir --format dot --cone 3 -o cone3.dot && dot -Tsvg cone3.dot -o cone3.svg",
    "lgcc dump model.blif --format graphml --class 0 -o class0.graphml",
    "lgcc dump model.lgir --layers 0:2 --format json",
]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of ``lgcc dump``."""
    parser.add_argument("file", metavar="FILE", help="graph file (.lgir, .blif, .aag, .aig) or checkpoint")
    parser.add_argument("--format", "-f", choices=sorted(FORMATS), default="text", help="output format (default text)")
    parser.add_argument("-o", "--output", metavar="OUT", help="write to OUT instead of standard output")
    which = parser.add_mutually_exclusive_group()
    which.add_argument("--cone", type=int, metavar="OUTPUT", help="only the fan-in cone of output index OUTPUT")
    which.add_argument("--class", dest="klass", type=int, metavar="C",
                       help="only the fan-in cone of class C's outputs (needs a GroupSum head)")
    parser.add_argument("--layers", metavar="I:J",
                        help="only layers I..J-1 and the outputs they drive (layer metadata, else logic "
                             "levels counted from 0: level 1 of lgcc stats is 0)")
    parser.add_argument("--max-nodes", type=int, default=DEFAULT_MAX_NODES, metavar="N",
                        help=f"refuse to dump more than N gates (default {DEFAULT_MAX_NODES}; 0: no limit, but "
                             f"dot and graphml never show more than {LAYOUT_MAX_NODES})")


def run(args: argparse.Namespace) -> int:
    """Load, select, render, write."""
    if args.max_nodes < 0:
        raise LgccError(f"--max-nodes must be >= 0 (0: no limit), got {args.max_nodes}")
    graph = load_graph(args.file)
    sel = select(graph, layers=args.layers, cone=args.cone, klass=args.klass)
    chunks = dump_chunks(graph, args.format, sel, max_nodes=args.max_nodes)
    if args.output:
        with atomic_path(args.output) as tmp, open(tmp, "w", encoding="utf-8") as out:
            out.writelines(chunks)  # piece by piece: a dump of millions of gates is never held whole
    else:
        sys.stdout.writelines(chunks)
    return 0
