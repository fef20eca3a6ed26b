"""Sample the machine's load average while a benchmark runs, to say how busy it was."""

from __future__ import annotations

import os
import threading
from typing import Self


class LoadSampler:
    """1-minute load average every `every` seconds in a daemon thread; use as a context manager."""

    def __init__(self, every: float = 10.0) -> None:
        self.every = every
        self.samples: list[float] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True, name="load-sampler")

    def _run(self) -> None:
        while True:
            self.samples.append(os.getloadavg()[0])
            if self._stop.wait(self.every):
                return

    def __enter__(self) -> Self:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.samples.append(os.getloadavg()[0])

    def summary(self) -> str:
        """E.g. "the 1-minute load average was 2.0 at the start, 6.7 at the end, 4.1 on
        average and 6.9 at most on 2 cores"."""
        s = self.samples or [os.getloadavg()[0]]
        return (f"the 1-minute load average was {s[0]:.1f} at the start, {s[-1]:.1f} at the end, "
                f"{sum(s) / len(s):.1f} on average and {max(s):.1f} at most on "
                f"{os.cpu_count()} cores")

    def busy(self) -> bool:
        """More runnable work than cores on average: other processes took CPU time."""
        s = self.samples or [os.getloadavg()[0]]
        return sum(s) / len(s) > (os.cpu_count() or 1)
