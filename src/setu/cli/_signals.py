"""Stopping a run cleanly: SIGINT, SIGTERM and SIGHUP, and ``--duration``.

The first SIGINT (Ctrl-C), SIGTERM (``kill``, ``systemctl stop``, ``docker stop``) or SIGHUP
(the terminal went away) asks the run to stop: sources end after what they already received,
the store writer flushes, and the summary is printed. A second signal aborts at once
(:class:`Aborted`; rows not yet flushed are lost, at most the flush interval's worth).

A run stopped by a signal exits with the shell's code for that signal, ``128 + signal number``
(:data:`SIGNAL_EXIT_CODES`: SIGHUP 129, SIGINT 130, SIGTERM 143), after storing and summarising
what it read, so a script can tell an interrupted run from a complete one. A service manager that
stops a live ingest on purpose treats those codes as success (systemd:
``SuccessExitStatus=129 130 143``).
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from types import FrameType
from typing import Any

__all__ = ["SIGNAL_EXIT_CODES", "Aborted", "StopRequest", "stop_on_signals"]

#: Exit code of a run stopped by each signal (the shell convention, 128 + signal number).
SIGNAL_EXIT_CODES: dict[str, int] = {"SIGHUP": 129, "SIGINT": 130, "SIGTERM": 143}
_HANDLED = tuple(getattr(signal, name) for name in SIGNAL_EXIT_CODES if hasattr(signal, name))


class Aborted(KeyboardInterrupt):
    """A second stop signal: give up at once. ``signal_name`` says which signal it was."""

    def __init__(self, signal_name: str) -> None:
        super().__init__(signal_name)
        self.signal_name = signal_name

    @property
    def exit_code(self) -> int:
        return SIGNAL_EXIT_CODES.get(self.signal_name, 130)


class StopRequest:
    """Why a run was asked to stop: ``reason`` is a signal name, ``"duration"`` or None."""

    def __init__(self, stop: threading.Event) -> None:
        self.stop = stop
        self.reason: str | None = None

    def request(self, reason: str) -> None:
        if self.reason is None:
            self.reason = reason
        self.stop.set()

    @property
    def by_signal(self) -> bool:
        return self.reason in SIGNAL_EXIT_CODES

    @property
    def exit_code(self) -> int:
        """The exit code for the reason (0 when not stopped by a signal)."""
        return SIGNAL_EXIT_CODES.get(self.reason or "", 0)


@contextmanager
def stop_on_signals(
    stop: threading.Event,
    duration_s: float | None = None,
    *,
    say: Callable[[str], None] = lambda text: None,
) -> Iterator[StopRequest]:
    """Set ``stop`` on the first SIGINT, SIGTERM or SIGHUP, or after ``duration_s``; raise
    :class:`Aborted` on the second signal. Handlers are restored on exit (main thread only:
    elsewhere only the duration applies)."""
    request = StopRequest(stop)
    in_main = threading.current_thread() is threading.main_thread()
    previous: dict[int, Any] = {}

    def on_signal(signum: int, frame: FrameType | None) -> None:
        name = signal.Signals(signum).name
        if stop.is_set():
            raise Aborted(name)
        say(f"stopping ({name}): storing what was read; send it again to abort")
        request.request(name)

    timer = None
    if duration_s is not None:
        timer = threading.Timer(duration_s, request.request, args=("duration",))
        timer.daemon = True
    try:
        if in_main:
            for signum in _HANDLED:
                previous[signum] = signal.signal(signum, on_signal)
        if timer is not None:
            timer.start()
        yield request
    finally:
        if timer is not None:
            timer.cancel()
        for signum, handler in previous.items():
            signal.signal(signum, handler)
