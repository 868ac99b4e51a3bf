"""Support for tests that race real database transactions against each other."""

import threading
import time
from collections.abc import Callable, Sequence
from typing import TypeVar

from django.db import connections

T = TypeVar("T")


def run_together(
    calls: Sequence[Callable[[], T]], *, timeout: float = 60
) -> list[T | BaseException]:
    """Run every call at the same moment and return each one's outcome, in call order.

    Each call runs in its own thread, so it gets its own database connection; a barrier
    releases all of them at once so that their transactions really overlap. Every thread
    closes its connections when its call ends. An outcome is the call's return value or
    the exception it raised, for the test to assert on.

    Raises AssertionError naming how many calls hung when any thread is still alive
    `timeout` seconds after the start, so a deadlock fails the test instead of
    blocking it.
    """
    barrier = threading.Barrier(len(calls))
    outcomes: dict[int, T | BaseException] = {}

    def run(index: int, call: Callable[[], T]) -> None:
        try:
            barrier.wait(timeout=timeout)
            outcomes[index] = call()
        except BaseException as exc:  # the outcome is the test's to judge
            outcomes[index] = exc
        finally:
            connections.close_all()

    # Daemon threads, so that a hung call cannot keep the test run from exiting.
    threads = [
        threading.Thread(target=run, args=(index, call), daemon=True)
        for index, call in enumerate(calls)
    ]
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + timeout
    for thread in threads:
        thread.join(timeout=max(0.0, deadline - time.monotonic()))
    hung = sum(thread.is_alive() for thread in threads)
    if hung:
        raise AssertionError(f"{hung} of {len(calls)} calls still running after {timeout}s")
    return [outcomes[index] for index in range(len(calls))]
