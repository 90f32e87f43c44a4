"""Running a function over tasks in forked worker processes, outputs in task order."""

from __future__ import annotations

import contextlib
import gc
import itertools
import multiprocessing
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from typing import Any

AHEAD = 3
"""Tasks in flight per worker process."""


def in_order(function: Callable[[Any], Any], tasks: Iterable[Any], workers: int) -> Iterator[Any]:
    """`function` of each task, in task order as each is ready: in forked worker processes when
    there are several workers and tasks (they inherit the caller's module state), else here. At
    most AHEAD tasks per worker are in flight, so finished outputs waiting to be consumed stay
    few whatever the number of tasks."""
    tasks = list(tasks)
    if workers <= 1 or len(tasks) <= 1:
        for task in tasks:
            yield function(task)
        return
    context = multiprocessing.get_context("fork")
    with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
        pending: deque[Future[Any]] = deque()
        queued = iter(tasks)
        for task in itertools.islice(queued, AHEAD * workers):
            pending.append(pool.submit(function, task))
        while pending:
            output = pending.popleft().result()
            for task in itertools.islice(queued, 1):
                pending.append(pool.submit(function, task))
            yield output
            del output


@contextlib.contextmanager
def spared_by_collector() -> Iterator[Callable[[], None]]:
    """A function that puts every object alive now out of reach of the cyclic garbage collector
    (`gc.freeze`) until the block ends, when they are handed back (`gc.unfreeze`).

    A run keeps its corpus and then its pairs to the end: millions of objects that each full
    collection would walk again, in the parent and in every worker forked from it (where walking
    them also copies the pages they sit on). Frozen objects are still freed when no longer
    referenced; only cycles among them wait for the block's end. When the caller has frozen
    objects of its own, the function does nothing, so theirs stay as they were.
    """
    if gc.get_freeze_count():
        yield lambda: None
        return
    try:
        yield gc.freeze
    finally:
        gc.unfreeze()
