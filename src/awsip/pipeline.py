"""Background work for the streaming paths: read ahead in a thread, map in a thread pool.

The reader (decompression, CSV parsing) and the enrichment (hashing, parsing, lookups) spend
most of their time in numpy and Arrow kernels that release the GIL, so running them in threads
overlaps them on several cores while the results still come out in input order.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import Any, TypeVar

T = TypeVar("T")
R = TypeVar("R")


def prefetch(items: Iterable[T], depth: int = 2) -> Iterator[T]:
    """Iterate ``items`` in a background thread, up to ``depth`` ahead; an exception of the
    producer is raised here; stopping early stops the producer."""
    import queue
    import threading

    q: queue.Queue[tuple[int, Any]] = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def work() -> None:
        try:
            for item in items:
                while not stop.is_set():
                    try:
                        q.put((0, item), timeout=0.1)
                        break
                    except queue.Full:
                        continue
                if stop.is_set():
                    return
            q.put((1, None))
        except BaseException as exc:  # handed to the consumer
            q.put((2, exc))

    thread = threading.Thread(target=work, name="awsip-prefetch", daemon=True)
    thread.start()
    try:
        while True:
            kind, value = q.get()
            if kind == 1:
                return
            if kind == 2:
                raise value
            yield value
    finally:
        stop.set()
        while thread.is_alive():  # unblock a producer waiting on a full queue
            try:
                q.get_nowait()
            except queue.Empty:
                thread.join(0.05)


def ordered_map(fn: Callable[[T], R], items: Iterable[T], workers: int = 2,
                first: Callable[[], Any] | None = None,
                heavy: Callable[[T], bool] | None = None) -> Iterator[tuple[T, R]]:
    """``(item, fn(item))`` in input order, up to ``workers`` calls running at once in
    threads (one at a time, in this thread, when ``workers`` <= 1). ``first`` runs in the pool
    before any item arrives (a set-up that can overlap reading the first item). ``heavy``: the
    items worth a thread (default: all); the others are done in this thread at their turn and
    do not count against ``workers``, so cheap items between heavy ones do not keep the
    threads idle; at most ``4 * workers`` items are taken ahead of the one given out, whatever
    their kind (an item can hold an open file). An exception of ``fn`` is raised here, at its
    item's turn."""
    if workers <= 1:
        if first is not None:
            first()
        for item in items:
            yield item, fn(item)
        return
    from collections import deque
    from concurrent.futures import Future, ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="awsip-worker") as pool:
        if first is not None:
            pool.submit(first)
        inflight: deque[tuple[T, Future[R] | None]] = deque()
        busy = 0  # heavy items in flight
        for item in items:
            if heavy is None or heavy(item):
                inflight.append((item, pool.submit(fn, item)))
                busy += 1
            else:
                inflight.append((item, None))
            while busy > workers or len(inflight) > 4 * workers:
                done, future = inflight.popleft()
                if future is not None:
                    busy -= 1
                yield done, future.result() if future is not None else fn(done)
        while inflight:
            done, future = inflight.popleft()
            yield done, future.result() if future is not None else fn(done)


__all__ = ["ordered_map", "prefetch"]
