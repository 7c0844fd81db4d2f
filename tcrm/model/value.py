"""Small value classes without ``dataclasses``.

``import dataclasses`` imports ``inspect`` (~40 ms of process CPU), and the early path
(``tcrm status`` on each prompt, each TAB, ``tcrm task list`` in a script's loop) imports
every class it reads before Typer: those derive from ``Value`` instead. A ``Value`` is
what a frozen dataclass is to its callers: compared, hashed and shown by its fields
(``__match_args__``, in order, which are its ``__slots__``); it is not changed after
``__init__`` (by convention: nothing assigns to one). It imports nothing.
"""

from __future__ import annotations


class Value:
    """A value named by its fields: ``__match_args__`` lists them in order (as a
    dataclass's), ``__slots__`` is the same, ``__init__`` sets them. Equal to a value of
    the same class with equal fields, hashable when the fields are."""

    __match_args__: tuple[str, ...] = ()
    __slots__: tuple[str, ...] = ()

    def _fields(self) -> tuple[object, ...]:
        return tuple(getattr(self, name) for name in self.__match_args__)

    def __eq__(self, other: object) -> bool:
        if other.__class__ is not self.__class__:
            return NotImplemented
        assert isinstance(other, Value)
        return self._fields() == other._fields()

    def __hash__(self) -> int:
        return hash(self._fields())

    def __repr__(self) -> str:
        shown = ", ".join(f"{name}={getattr(self, name)!r}" for name in self.__match_args__)
        return f"{self.__class__.__qualname__}({shown})"


class Ordered(Value):
    """A ``Value`` ordered by its fields, as a dataclass with ``order=True``."""

    __slots__ = ()

    def _other(self, other: object) -> tuple[object, ...] | None:
        if other.__class__ is not self.__class__:
            return None
        assert isinstance(other, Value)
        return other._fields()

    def __lt__(self, other: object) -> bool:
        theirs = self._other(other)
        return NotImplemented if theirs is None else self._fields() < theirs

    def __le__(self, other: object) -> bool:
        theirs = self._other(other)
        return NotImplemented if theirs is None else self._fields() <= theirs

    def __gt__(self, other: object) -> bool:
        theirs = self._other(other)
        return NotImplemented if theirs is None else self._fields() > theirs

    def __ge__(self, other: object) -> bool:
        theirs = self._other(other)
        return NotImplemented if theirs is None else self._fields() >= theirs


TYPE_CHECKING = False  # typing is not imported at run time (see above)
if TYPE_CHECKING:
    from typing import Generic, TypeVar

    T = TypeVar("T")

    class Holding(Value, Generic[T]):
        """A ``Value`` holding a record of type ``T`` (``Holding[Client]``)."""

        __slots__ = ()

else:

    class Holding(Value):
        """A ``Value`` holding a record: ``Holding[T]`` is generic to type checkers only,
        the class itself at run time (``typing.Generic`` is not imported)."""

        __slots__ = ()

        def __class_getitem__(cls, item: object) -> type:
            return cls
