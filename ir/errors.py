"""Exceptions with one-line, user-facing messages.

The CLI turns :class:`LgccError` into ``lgcc: error: <message>`` and exit code 2
(bad input or usage) and :class:`WorkFailed` into exit code 1 (the work was
done and its answer is "no", e.g. two graphs are not equivalent).
"""

from __future__ import annotations


class LgccError(Exception):
    """Bad input, bad options or a missing tool: the message says what to do."""


class GraphError(LgccError):
    """A graph violates an IR invariant (raised by ``Graph.verify``)."""


class FormatError(LgccError):
    """A file is truncated, foreign, corrupt or of an unsupported version."""


class WorkFailed(Exception):
    """The requested check ran and failed (exit code 1), e.g. not equivalent."""
