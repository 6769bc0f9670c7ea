"""Reading and writing graphs by file extension, for the CLI and the public API."""

from __future__ import annotations

import os
from pathlib import Path
from types import ModuleType

from lgcc.frontend.torchfile import is_legacy_head
from lgcc.ir.errors import FormatError, LgccError
from lgcc.ir.fileio import check_output_file
from lgcc.ir.formats import ZIP_ERRORS, require_file
from lgcc.ir.graph import Graph
from lgcc.ir.levels import sort_by_level

#: Extension -> (module, reader, writer) of the IR file formats.
GRAPH_FORMATS: dict[str, tuple[str, str, str | None]] = {
    ".lgir": ("lgcc.ir.formats.lgir", "read", "write"),
    ".blif": ("lgcc.ir.formats.blif", "read", "write"),
    ".aag": ("lgcc.ir.formats.aiger", "read", "write"),
    ".aig": ("lgcc.ir.formats.aiger", "read", "write"),
}
#: Extensions of PyTorch checkpoints written by ``lgcc.save``.
CHECKPOINT_EXTS = (".pt", ".pth", ".ckpt")


def _module(name: str) -> ModuleType:
    import importlib

    return importlib.import_module(name)


def load_graph(path: str | os.PathLike, opt_level: int = 0) -> Graph:
    """Read a graph from ``.lgir``, ``.blif``, ``.aag``/``.aig`` or lower a checkpoint.

    The gates of a BLIF or AIGER file come out in level order (so every later
    step works a level at a time); an ``.lgir`` file keeps its numbering.

    ``opt_level`` runs the ``-O<level>`` pipeline on the result (0: none).
    """
    path = require_file(path)
    ext = path.suffix.lower()
    if ext in GRAPH_FORMATS:
        mod, reader, _ = GRAPH_FORMATS[ext]
        try:
            graph = getattr(_module(mod), reader)(path)
        except FormatError as exc:
            raise _with_format_hint(exc, path, ext) from None
        if ext != ".lgir":  # netlists keep no gate numbering: put theirs (AIGER's, ABC's depth-first) in level order
            graph = sort_by_level(graph)
    elif ext in CHECKPOINT_EXTS:
        try:
            graph = _module("lgcc.frontend.fastload").lower_checkpoint(path)  # torch-free when it can
        except FormatError as exc:
            raise _with_format_hint(exc, path, ext) from None
    else:
        known = ", ".join(sorted(GRAPH_FORMATS) + list(CHECKPOINT_EXTS))
        # a model.bin or a name without extension may still be a format we read: say which
        raise _with_format_hint(FormatError(f"{path}: unknown file type '{ext}' (known: {known})"), path, ext)
    graph.verify()
    if opt_level:
        graph = _module("lgcc.ir.passes.manager").optimize(graph, level=opt_level).graph
    return graph


def check_graph_output(path: str | os.PathLike) -> str:
    """The extension of graph output ``path``; LgccError (empty, a folder, no or unknown extension) before any work."""
    known = ", ".join(sorted(e for e, f in GRAPH_FORMATS.items() if f[2]))
    if not str(path):
        raise LgccError(f"the output file name is empty; give one ending in {known}")
    path = Path(path)
    if path.is_dir():
        raise LgccError(f"{path}: is a folder; give the name of the file to write (ending in {known})")
    ext = path.suffix.lower()
    if not ext:
        raise LgccError(f"{path}: no extension to choose the format by; end the name in {known}")
    if ext not in GRAPH_FORMATS or GRAPH_FORMATS[ext][2] is None:
        raise LgccError(f"{path}: cannot write '{ext}' files (known: {known})")
    return ext


def check_checkpoint_output(path: str | os.PathLike) -> Path:
    """``path`` as a Path; LgccError before any work unless a checkpoint can be written there under a name
    every command reads (``lgcc train -o`` and ``lgcc.save`` both ask)."""
    path = check_output_file(path)
    if path.suffix.lower() not in CHECKPOINT_EXTS:  # else no lgcc command would read it
        raise LgccError(f"{path}: a checkpoint needs the extension {', '.join(CHECKPOINT_EXTS)} "
                        "(convert it to .lgir/.blif/.aig afterwards with 'lgcc convert')")
    return path


def sniff_format(path: Path) -> str | None:
    """The kind of file ``path`` holds by its first bytes (``.lgir``, ``.pt``, ``.aag``, ``.blif``), or None.

    ``.pt`` covers both of torch's formats: a zip archive and the legacy pickle stream.
    """
    try:
        with open(path, "rb") as f:
            head = f.read(4096)
    except OSError:  # unreadable: the reader's own message stands
        return None
    if head.startswith(b"PK"):
        import zipfile

        from lgcc.ir.formats.lgir import HEADER

        try:
            with zipfile.ZipFile(path) as zf:
                names = zf.namelist()
        except (*ZIP_ERRORS, OSError):
            return None
        if HEADER in names:
            return ".lgir"
        return ".pt" if any(n.endswith("/data.pkl") for n in names) else None
    if is_legacy_head(head):
        return ".pt"
    words = head.split(maxsplit=1)
    if words and words[0] in (b"aag", b"aig"):
        return ".aag" if words[0] == b"aag" else ".aig"
    text = head.decode("latin-1")
    if any(line.lstrip().startswith((".model", ".inputs", ".outputs", ".names")) for line in text.splitlines()):
        return ".blif"
    return None


def _with_format_hint(exc: FormatError, path: Path, ext: str) -> FormatError:
    """``exc``, plus which extension the file needs when its content is another known format."""
    kind = sniff_format(path)
    same = {ext, kind} <= {".aag", ".aig"} or {ext, kind} <= set(CHECKPOINT_EXTS)
    if kind is None or kind == ext or same or "rename it" in str(exc):  # the reader gave the hint itself
        return exc
    names = {".lgir": "an lgcc graph", ".pt": "a PyTorch checkpoint", ".aag": "an ASCII AIGER file",
             ".aig": "a binary AIGER file", ".blif": "a BLIF netlist"}
    return FormatError(f"{exc} (the file looks like {names[kind]}: rename it to {path.stem}{kind})")


def save_graph(graph: Graph, path: str | os.PathLike) -> None:
    """Write ``graph`` in the format given by the extension of ``path`` (atomically)."""
    mod, _, writer = GRAPH_FORMATS[check_graph_output(path)]
    assert writer is not None  # check_graph_output refuses the formats without a writer
    getattr(_module(mod), writer)(graph, Path(path))
