"""``SignalGuard``: SIGTERM/SIGINT become ``SignalInterrupt``; one deferred inside ``critical()``;
and one whose exception Python dropped (it landed in a garbage-collection callback) raised
again by ``check()`` at the worker's next safe point."""

from __future__ import annotations

import gc
import signal

import pytest

from nas.engine._worker import SignalGuard, SignalInterrupt


def test_the_first_signal_raises_and_a_second_is_ignored() -> None:
    guard = SignalGuard()
    with pytest.raises(SignalInterrupt) as stop:
        guard._handle(signal.SIGTERM, None)
    assert stop.value.signum == signal.SIGTERM
    guard._handle(signal.SIGINT, None)  # ignored: only the first counts


def test_a_signal_inside_critical_waits_for_its_end() -> None:
    guard = SignalGuard()
    with pytest.raises(SignalInterrupt):
        with guard.critical():
            guard._handle(signal.SIGTERM, None)
            guard.check()  # inside the block: deferred, not raised
            written = True
    assert written


@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
def test_a_lost_interrupt_is_raised_again_by_check() -> None:
    guard = SignalGuard()
    guard.check()  # no signal yet: nothing

    class Collected:
        def __del__(self) -> None:  # as a signal handler running inside a GC callback
            guard._handle(signal.SIGTERM, None)

    Collected()
    gc.collect()  # the SignalInterrupt raised in __del__ is printed and dropped by Python
    with pytest.raises(SignalInterrupt) as stop:
        guard.check()
    assert stop.value.signum == signal.SIGTERM
