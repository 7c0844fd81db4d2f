"""``tcrm.model.value``: the small value classes the early path uses instead of
dataclasses answer as the frozen dataclasses they replaced did."""

from __future__ import annotations

import pickle
from dataclasses import dataclass

from tcrm.errors import Command, Field, Problem
from tcrm.model.value import Ordered, Value


class Point(Ordered):
    __match_args__ = ("x", "y")
    __slots__ = __match_args__

    def __init__(self, x: int, y: int) -> None:
        self.x = x
        self.y = y


class Other(Value):
    __match_args__ = ("x", "y")
    __slots__ = __match_args__

    def __init__(self, x: int, y: int) -> None:
        self.x = x
        self.y = y


@dataclass(frozen=True, order=True)
class Twin:
    x: int
    y: int


def test_equal_hashed_and_ordered_by_fields_as_a_frozen_dataclass() -> None:
    points = [Point(2, 1), Point(1, 5), Point(1, 2), Point(2, 1)]
    twins = [Twin(2, 1), Twin(1, 5), Twin(1, 2), Twin(2, 1)]
    assert [(p.x, p.y) for p in sorted(points)] == [(t.x, t.y) for t in sorted(twins)]
    assert len(set(points)) == len(set(twins)) == 3
    assert Point(1, 2) == Point(1, 2) and Point(1, 2) != Point(2, 1)
    assert Point(1, 2) <= Point(1, 2) < Point(1, 3) and Point(2, 0) > Point(1, 9)
    assert repr(Point(1, 2)) == "Point(x=1, y=2)"


def test_another_class_with_the_same_fields_is_not_equal() -> None:
    assert Point(1, 2) != Other(1, 2)
    assert Point(1, 2) != (1, 2)
    try:
        _ = Point(1, 2) < Other(1, 2)  # type: ignore[operator]
    except TypeError:
        pass
    else:
        raise AssertionError("values of different classes were ordered")


def test_matched_and_pickled_by_fields() -> None:
    match Point(3, 4):
        case Point(x, y):
            assert (x, y) == (3, 4)
    assert pickle.loads(pickle.dumps(Point(3, 4))) == Point(3, 4)


def test_the_error_values_keep_their_meaning() -> None:
    problems = [Problem("b.yaml", 2, "x"), Problem("a.yaml", None, "y"), Problem("a.yaml", 1, "z")]
    assert sorted(problems, key=lambda p: (p.path, p.line or 0))[0].path == "a.yaml"
    assert str(Problem("a.yaml", 3, "bad")).startswith("a.yaml:3")
    assert Field("due") == Field("due") and hash(Field("due")) == hash(Field("due"))
    assert Command("tcrm", "sync", Field("after_rewrite")).parts[2] == Field("after_rewrite")
    assert not hasattr(Point(1, 2), "__dict__")  # slots: no stray attribute
