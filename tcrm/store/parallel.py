"""Work on every record file (or calendar entry), spread over the cores.

Parsing YAML and validating records is CPU-bound (~7,000 files/s per core), and so is
icalendar (~2,000 entries/s), so a first index, a ``tcrm check`` of 100,000 files or a
big ``ics export`` runs one process per core, each on chunks of the work. Processes are
forked (a worker starts with what the caller has loaded), and only from a single-threaded
caller: a front end with threads, a platform without fork or a small workspace does the
work in its own process, in the same order.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterator, Sequence
from typing import Any, TypeVar

C = TypeVar("C")
R = TypeVar("R")

PARALLEL_FROM = 4000
"""From this many files on, the work is shared between processes."""
CHUNK = 2000
"""Files per piece of work: small enough to share out evenly and report progress."""


def chunked(items: Sequence[C], size: int | None = None) -> list[Sequence[C]]:
    size = size or CHUNK
    return [items[i : i + size] for i in range(0, len(items), size)]


_shared: Any = None


def shared() -> Any:
    """What ``map_chunks`` was given to share, in the process doing the work."""
    return _shared


def map_chunks(
    work: Callable[[Any], R], chunks: Sequence[Any], files: int, share: Any = None
) -> Iterator[R]:
    """``work(chunk)`` for each chunk, in order, on every core when ``files`` are enough.

    ``share`` is what every chunk needs (the ids of every record, a calendar feed):
    ``work`` finds it with ``shared()``. Forked workers inherit it with the rest of this
    process's memory, so it is never copied chunk by chunk, only the chunks and answers.
    """
    global _shared
    workers = min(os.cpu_count() or 1, 8, len(chunks))
    _shared = share
    try:
        if files < PARALLEL_FROM or workers < 2 or threading.active_count() > 1:
            yield from map(work, chunks)
            return
        # imported here: multiprocessing costs every command ~10 ms, and a read of a
        # fresh index never forks
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor

        if "fork" not in multiprocessing.get_all_start_methods():
            yield from map(work, chunks)
            return

        context = multiprocessing.get_context("fork")
        with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
            yield from pool.map(work, chunks)
    finally:
        _shared = None
