"""A small progress bar (training, `lgcc verify`): redrawn in place on a terminal, plain lines otherwise."""

from __future__ import annotations

import os
import sys
import time
from typing import TextIO


class Progress:
    """Report ``step/total`` with named values to ``stream`` (stderr by default).

    On a terminal the line is redrawn at most ten times a second; when the
    stream is a file or pipe (CI logs) one plain line is written every tenth of
    the run, so logs stay short and readable.
    """

    def __init__(self, total: int, stream: TextIO | None = None, enabled: bool = True, label: str = "train") -> None:
        self.total, self.label, self.enabled = max(1, int(total)), label, enabled
        self.stream = stream if stream is not None else sys.stderr
        self.tty = bool(getattr(self.stream, "isatty", lambda: False)())
        self.start = time.perf_counter()
        self._last_draw = 0.0
        self._every = max(1, self.total // 10)

    def _line(self, step: int, values: dict[str, float]) -> str:
        elapsed = time.perf_counter() - self.start
        rate = step / elapsed if elapsed > 0 else 0.0
        eta = (self.total - step) / rate if rate > 0 else 0.0
        stats = "  ".join(f"{k} {v:.4f}" if isinstance(v, float) else f"{k} {v}" for k, v in values.items())
        if self.tty:
            rest = f" {step}/{self.total}  {stats}  {elapsed:.0f}s<{eta:.0f}s "
            # a line wider than the terminal wraps, and every redraw then adds a line: the bar gives way
            width = max(0, min(30, self._columns() - 1 - len(self.label) - 3 - len(rest)))
            filled = int(width * step / self.total)
            bar = " [" + "#" * filled + "." * (width - filled) + "]" if width >= 5 else ""
            return f"\r{self.label}{bar}{rest}"
        return f"{self.label} {step}/{self.total}  {stats}  {elapsed:.1f}s\n"

    def _columns(self) -> int:
        """Width of the terminal the bar is drawn on ($COLUMNS first, as shutil reads it; else 80)."""
        try:
            return int(os.environ["COLUMNS"])
        except (KeyError, ValueError):
            pass
        try:
            return os.get_terminal_size(self.stream.fileno()).columns
        except (AttributeError, OSError, ValueError):  # no file descriptor (a StringIO), or not a terminal
            return 80

    def update(self, step: int, **values: float) -> None:
        """Show progress after ``step`` steps (1-based) with the given values."""
        if not self.enabled:
            return
        now = time.perf_counter()
        if self.tty:
            if now - self._last_draw < 0.1 and step < self.total:
                return
        elif step % self._every and step != self.total:
            return
        self._last_draw = now
        self.stream.write(self._line(step, values))
        self.stream.flush()

    def close(self) -> None:
        """End the in-place line on a terminal."""
        if self.enabled and self.tty:
            self.stream.write("\n")
            self.stream.flush()
