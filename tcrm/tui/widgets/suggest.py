"""Completion for fields that hold a list (``vip, retail``): the item being typed is
completed from the workspace's values (its tags, a client's contact people, time zones),
as Textual's ``SuggestFromList`` completes a whole field. The right arrow accepts the
suggestion, as in any ``Input``."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from textual.suggester import Suggester

Values = Callable[[], Iterable[str]]


class ListSuggester(Suggester):
    """Completes the last ``separator``-separated item of the value from ``values`` (a
    list, or a function asked on each keystroke when the choices follow another field),
    any case, skipping items already given."""

    def __init__(self, values: Iterable[str] | Values, *, separator: str = ",") -> None:
        dynamic = callable(values)
        # the typed text reaches get_suggestion as typed: the items before the last
        # keep their case (comparisons below ignore it)
        super().__init__(use_cache=not dynamic, case_sensitive=True)
        self._values: Values = values if callable(values) else _fixed(list(values))
        self.separator = separator

    async def get_suggestion(self, value: str) -> str | None:
        head, sep, last = value.rpartition(self.separator)
        typed = last.lstrip()
        if not typed:
            return None
        given = {item.strip().casefold() for item in head.split(self.separator)} if sep else set()
        wanted = typed.casefold()
        for choice in self._values():
            folded = choice.casefold()
            if folded.startswith(wanted) and folded != wanted and folded not in given:
                return value + choice[len(typed) :]
        return None


def _fixed(values: list[str]) -> Values:
    return lambda: values
