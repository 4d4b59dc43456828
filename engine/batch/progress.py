"""A progress line for long batch runs: done/total, rate, ETA — redrawn in place on a
terminal, printed every few seconds otherwise (logs, CI)."""

from __future__ import annotations

import sys
import time
from typing import TextIO


def _clock(seconds: float) -> str:
    seconds = int(max(0, seconds))
    hours, rest = divmod(seconds, 3600)
    return f"{hours}:{rest // 60:02d}:{rest % 60:02d}"


class Progress:
    def __init__(
        self, total: int, done: int = 0, stream: TextIO | None = None, every: float | None = None
    ) -> None:
        self.total, self.done, self._start_done = total, done, done
        self.stream = stream or sys.stderr
        self._tty = self.stream.isatty()
        self._every = every if every is not None else (0.2 if self._tty else 5.0)
        self._start = self._last = time.monotonic()

    def line(self) -> str:
        elapsed = max(time.monotonic() - self._start, 1e-9)
        rate = (self.done - self._start_done) / elapsed
        share = self.done / self.total if self.total else 1.0
        eta = (self.total - self.done) / rate if rate > 0 else 0.0
        bar = "#" * int(share * 30)
        return (
            f"[{bar:<30}] {self.done:,}/{self.total:,} rows {share:6.1%}  "
            f"{rate:,.0f} rows/s  ETA {_clock(eta)}"
        )

    def update(self, done: int) -> None:
        self.done = done
        now = time.monotonic()
        if now - self._last >= self._every:
            self._last = now
            self._draw()

    def _draw(self) -> None:
        if self._tty:
            self.stream.write("\r" + self.line())
        else:
            self.stream.write(self.line() + "\n")
        self.stream.flush()

    def finish(self) -> None:
        self._draw()
        if self._tty:
            self.stream.write("\n")
        self.stream.flush()
