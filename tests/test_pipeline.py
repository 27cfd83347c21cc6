"""awsip.pipeline: read-ahead and the ordered thread-pool map keep order and pass errors on."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import pytest

from awsip.pipeline import ordered_map, prefetch


def test_prefetch_keeps_order_and_reraises_errors_of_the_producer() -> None:
    def produce() -> Iterator[int]:
        yield from range(5)
        raise ValueError("bad block")

    got: list[int] = []
    with pytest.raises(ValueError, match="bad block"):
        for item in prefetch(produce()):
            got.append(item)
    assert got == [0, 1, 2, 3, 4]
    first = next(iter(prefetch(iter(range(10**6)), depth=1)))  # abandoned early: no hang
    assert first == 0


@pytest.mark.parametrize("workers", [1, 2, 4])
def test_ordered_map_gives_results_in_input_order_whatever_finishes_first(workers: int) -> None:
    def slow_for_small(x: int) -> int:
        time.sleep(0.002 * (10 - x % 10))  # early items finish last
        return x * x

    got = list(ordered_map(slow_for_small, range(30), workers))
    assert got == [(x, x * x) for x in range(30)]


def test_ordered_map_runs_calls_at_once_and_first_before_them() -> None:
    seen: list[str] = []
    both = threading.Barrier(2, timeout=5)

    def wait_for_the_other(x: int) -> int:
        both.wait()  # only passes when two calls run at the same time
        return x

    got = list(ordered_map(wait_for_the_other, [1, 2], 2, first=lambda: seen.append("first")))
    assert got == [(1, 1), (2, 2)] and seen == ["first"]


def test_ordered_map_raises_a_call_error_at_its_item() -> None:
    def fail_on_three(x: int) -> int:
        if x == 3:
            raise ValueError("three")
        return x

    got: list[int] = []
    with pytest.raises(ValueError, match="three"):
        for _, value in ordered_map(fail_on_three, range(6), 2):
            got.append(value)
    assert got == [0, 1, 2]


def test_light_items_run_here_in_order_and_do_not_hold_the_workers() -> None:
    # Heavy items (even numbers) wait for each other on a barrier of two: they can only
    # finish if two run at once, which the light items (odd, run in this thread at their
    # turn) must not prevent by taking a place among the two.
    barrier = threading.Barrier(2, timeout=5)
    here = threading.get_ident()
    where: dict[int, int] = {}

    def work(i: int) -> int:
        where[i] = threading.get_ident()
        if i % 2 == 0:
            barrier.wait()
        return i * 10

    items = [0, 1, 3, 5, 2, 7, 4, 9, 11, 6]
    got = list(ordered_map(work, items, workers=2, heavy=lambda i: i % 2 == 0))
    assert got == [(i, i * 10) for i in items]
    assert all(where[i] == here for i in items if i % 2)
    assert all(where[i] != here for i in items if i % 2 == 0)


def test_light_items_are_not_taken_far_ahead_of_the_one_given_out() -> None:
    # An item can hold an open file: however light, only a few are taken ahead.
    taken = 0

    def items() -> Iterator[int]:
        nonlocal taken
        for i in range(100):
            taken += 1
            yield i

    ahead = []
    for done, _ in ordered_map(lambda i: i, items(), workers=2, heavy=lambda i: False):
        ahead.append(taken - done - 1)
    assert max(ahead) <= 8
