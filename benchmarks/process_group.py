"""A benchmark's own child process in its own process group: started by the subclass, stopped (TERM, then KILL) with its children."""

from __future__ import annotations

import os
import signal
import subprocess


class ProcessGroup:
    """Holds ``self.process`` (set by the subclass's ``__enter__``) and stops its whole group when the block ends."""

    STOP_WAITS = ((signal.SIGTERM, 15.0), (signal.SIGKILL, 10.0))  # each signal, then seconds to wait

    process: subprocess.Popen | None = None

    def __exit__(self, *_exc) -> None:
        self.stop()

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    def stop(self) -> None:
        """TERM the group, KILL it if it has not gone in time; nothing when it has already gone."""
        if self.process is None or self.process.poll() is not None:
            return
        for sig, wait in self.STOP_WAITS:
            try:
                os.killpg(self.process.pid, sig)
            except ProcessLookupError:
                return
            try:
                self.process.wait(wait)
                return
            except subprocess.TimeoutExpired:
                continue
