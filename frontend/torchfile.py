"""Which of torch's two serialization formats a file holds, from its first bytes (torch is not imported).

``torch.save`` writes a zip archive (``"PK"``, the default since torch 1.6) or,
with ``_use_new_zipfile_serialization=False``, the *legacy* format: a run of
pickles whose first one is the integer ``torch.serialization.MAGIC_NUMBER``
(then the legacy protocol version, system info, the object, the storage keys
and the raw storage bytes).  A legacy file is recognized by that first pickle
alone, decoded with :func:`pickletools.genops`, which parses opcodes and never
builds objects or resolves names, so sniffing runs nothing from the file.  A
plain pickle of anything else is not a torch file.
"""

from __future__ import annotations

import io
import itertools
import os
import pickletools
from typing import Literal

from lgcc.ir.errors import FormatError

#: ``torch.serialization.MAGIC_NUMBER``: the first pickle of every legacy torch file (checked in tests).
LEGACY_MAGIC = 0x1950A86A20F9469CFC6C
#: The opcodes pickle writes for that number: ``LONG1`` (protocols 2-5), ``LONG`` (text protocols 0, 1).
_INT_OPS = ("LONG1", "LONG")
#: Enough bytes for the magic number's pickle in every protocol (the text form is the longest, 28 bytes).
HEAD_BYTES = 64

TorchFormat = Literal["zip", "legacy"]


def is_legacy_head(head: bytes) -> bool:
    """Whether ``head`` starts with a pickle of exactly :data:`LEGACY_MAGIC`: [PROTO [FRAME]] number STOP."""
    try:  # genops ends at the first STOP; four opcodes cover the longest form of the header
        ops = [(op.name, arg) for op, arg, _ in itertools.islice(pickletools.genops(io.BytesIO(head)), 4)]
    except ValueError:  # an unknown opcode or a cut-off argument: not this header
        return False
    while ops and ops[0][0] in ("PROTO", "FRAME"):  # protocol 2+ header, protocol 4+ framing
        ops.pop(0)
    return len(ops) == 2 and ops[0][0] in _INT_OPS and ops[0][1] == LEGACY_MAGIC and ops[1][0] == "STOP"


def torch_format(path: str | os.PathLike) -> TorchFormat | None:
    """``"zip"`` or ``"legacy"`` for a file ``torch.save`` may have written, else None (unreadable too)."""
    try:
        with open(path, "rb") as f:
            head = f.read(HEAD_BYTES)
    except OSError:
        return None
    if head.startswith(b"PK"):
        return "zip"
    return "legacy" if is_legacy_head(head) else None


def require_torch_file(path: str | os.PathLike) -> TorchFormat:
    """:func:`torch_format` of ``path``; FormatError (one line) when it is neither format."""
    kind = torch_format(path)
    if kind is None:
        raise FormatError(f"{path}: not a PyTorch checkpoint (expected a file written by lgcc.save or "
                          "torch.save); check the path")
    return kind
