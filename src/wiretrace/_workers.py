"""Running a function over tasks in forked worker processes, outputs in task order."""

from __future__ import annotations

import contextlib
import ctypes
import gc
import itertools
import multiprocessing
import os
import platform
import signal
import threading
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from typing import Any

AHEAD = 3
"""Tasks in flight per worker process."""
IDLE_AHEAD = 32
"""Tasks in flight per worker process while the caller takes its `idle` steps (a step may take
longer than AHEAD tasks: the workers waited for tasks while it ran)."""

# glibc's allocator hands a freed block of over 128 KiB (numpy arrays of a few thousand words)
# back to the system at once, and the free memory at the top of its heap soon after: the next
# such array is then taken from the system again, each of its pages zeroed on first touch (a
# page fault). A fresh worker process does this for every array, half a million times on 20,000
# articles. Blocks under KEPT_BLOCK bytes and up to KEPT_FREE free bytes are kept for reuse.
KEPT_BLOCK = 32 << 20
KEPT_FREE = 128 << 20
_M_TRIM_THRESHOLD = -1
_M_MMAP_THRESHOLD = -3


def keep_freed_memory() -> None:
    """Have glibc's allocator keep freed memory for reuse in this process (KEPT_BLOCK,
    KEPT_FREE) instead of returning it to the system at once; nothing elsewhere. Called in each
    worker process as it starts (see `worker_pool`). (The calling process is left as it is: it
    is the user's, and measured on 20,000 articles it gained nothing.)"""
    if platform.system() != "Linux" or platform.libc_ver()[0] != "glibc":
        return
    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):
        return
    mallopt(_M_MMAP_THRESHOLD, KEPT_BLOCK)
    mallopt(_M_TRIM_THRESHOLD, KEPT_FREE)


# The signals whose handlers end a run (the command's SIGTERM, Ctrl-C's SIGINT, and the timer
# that raises again a stop dropped in a callback: see `cli._stop_cleanly_on_terminate`).
_STOPS = (signal.SIGTERM, signal.SIGINT, signal.SIGALRM)


@contextlib.contextmanager
def stops_held() -> Iterator[None]:
    """Hold back the stop signals' Python handlers (in the main thread, where they run) while
    the block runs, for a step that a stop must not cut in two; a stop that came meanwhile is
    raised again when the block ends. (A SIGALRM handler is held only when it is a Python one.)"""
    held: list[int] = []
    handlers: dict[signal.Signals, Any] = {}
    if threading.current_thread() is threading.main_thread():
        for number in _STOPS:
            handler = signal.getsignal(number)
            # None: set outside Python, kept; SIGALRM's default is not a stop of the run's.
            if handler is None or (number == signal.SIGALRM and not callable(handler)):
                continue
            handlers[number] = signal.signal(number, lambda number, _: held.append(number))
    try:
        yield
    finally:
        for stop, handler in handlers.items():
            signal.signal(stop, handler)
        for came in held:
            signal.raise_signal(came)


_PR_SET_PDEATHSIG = 1


def _start_worker(parent: int) -> None:
    """What each worker process does first: it is killed when the process that forked it ends,
    however that ends (Linux; elsewhere the pool's own shutdown stops it), and keeps freed memory
    for reuse (`keep_freed_memory`)."""
    if platform.system() == "Linux":
        with contextlib.suppress(OSError, AttributeError):
            prctl = ctypes.CDLL(None, use_errno=True).prctl
            # (The parent may have ended before the call: then nothing would kill this one.)
            if prctl(_PR_SET_PDEATHSIG, signal.SIGKILL) == 0 and os.getppid() != parent:
                os._exit(1)
    keep_freed_memory()


class _Pool(ProcessPoolExecutor):
    def _start_executor_manager_thread(self) -> None:
        # Forks the workers, then starts the thread that stops them at shutdown: a stop raised
        # in between left workers that nothing stopped (they waited for work for ever, holding
        # the run's deleted files and its caller's pipes), or made the shutdown fail. Called by
        # every `submit`: only the first starts anything (holding the stops each time, with a
        # signal handler set and set back per stop, took a tenth of a second of 20,000 articles).
        if getattr(self, "_executor_manager_thread", None) is not None:
            return
        with stops_held():
            super()._start_executor_manager_thread()  # type: ignore[misc]


def worker_pool(workers: int) -> ProcessPoolExecutor:
    """`workers` forked worker processes (they inherit this process's module state), forked
    with the stop signals held back (`stops_held`), each ending with this process and keeping
    freed memory for reuse (`_start_worker`), their tasks and outputs sent through pipes of
    PIPE_BYTES (`_widen_pipes`)."""
    pool = _Pool(
        max_workers=workers,
        mp_context=multiprocessing.get_context("fork"),
        initializer=_start_worker,
        initargs=(os.getpid(),),
    )
    _widen_pipes(pool)
    return pool


PIPE_BYTES = 1 << 20
"""The pipes' capacity a pool asks for (Linux: 64 KiB by default, at most
/proc/sys/fs/pipe-max-size, 1 MiB by default, for a process without privileges)."""


def _widen_pipes(pool: ProcessPoolExecutor) -> None:
    """Ask for PIPE_BYTES of room in the pool's pipes, where the system allows (Linux; elsewhere,
    or refused, they stay as they are). Outputs of a few hundred kilobytes (a chunk's sketched
    boilerplate, candidate pairs) filled a 64 KiB pipe, and a worker waited, not working, until
    this process read them, which it does between its own steps (measured on 20,000 articles:
    the sketch stage's workers waited 0.27 s in all to send their outputs, 0.11 s with 1 MiB)."""
    if platform.system() != "Linux":
        return
    import fcntl

    queues = (getattr(pool, "_call_queue", None), getattr(pool, "_result_queue", None))
    for queue in queues:
        for end in ("_reader", "_writer"):
            # (The queues' pipe ends are private: a Python whose pool lacks them is left be.)
            fileno = getattr(getattr(queue, end, None), "fileno", None)
            if fileno is not None:
                with contextlib.suppress(OSError, ValueError):
                    fcntl.fcntl(fileno(), fcntl.F_SETPIPE_SZ, PIPE_BYTES)


def in_order(
    function: Callable[[Any], Any],
    tasks: Iterable[Any],
    workers: int,
    idle: Iterator[Callable[[], Any]] | None = None,
    *,
    first_here: bool = False,
) -> Iterator[Any]:
    """`function` of each task, in task order as each is ready: in forked worker processes when
    there are several workers and tasks (they inherit the caller's module state), else here. At
    most AHEAD tasks per worker are in flight (IDLE_AHEAD while `idle` steps are taken), so
    finished outputs waiting to be consumed stay few whatever the number of tasks; `tasks` is
    iterated as they are sent (the workers start while it still makes them).

    `idle`: short steps for this process to take while it waits for its workers (the workers,
    forked before, do not inherit what they make): as many as there is time for before the last
    output is ready; the caller takes the rest. `first_here`: the first task is done here,
    before the workers are forked, so that they inherit what it loads (compiled code, tables)
    instead of each loading it while the others wait."""
    queued = iter(tasks)
    if first_here and workers > 1:
        head = next(queued, _NO_TASK)
        if head is not _NO_TASK:
            yield function(head)
    first = list(itertools.islice(queued, 2))
    if workers <= 1 or len(first) <= 1:
        for task in itertools.chain(first, queued):
            yield function(task)
        return
    queued = itertools.chain(first, queued)
    with worker_pool(workers) as pool:
        pending: deque[Future[Any]] = deque()

        def send(room: int) -> bool:
            """Send tasks until `room` are in flight; False once there are no more."""
            while len(pending) < room:
                task = next(queued, _NO_TASK)
                if task is _NO_TASK:
                    return False
                pending.append(pool.submit(function, task))
            return True

        sending = send(AHEAD * workers)
        while pending:
            while idle is not None and not pending[0].done():
                # The workers' queue filled first: a step may take longer than AHEAD tasks.
                sending = sending and send(IDLE_AHEAD * workers)
                step = next(idle, None)
                if step is None:
                    idle = None
                else:
                    step()
            output = pending.popleft().result()
            sending = sending and send(AHEAD * workers)
            yield output
            del output


_NO_TASK = object()


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
