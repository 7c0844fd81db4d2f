"""What an erasure removes (GDPR Art. 17): the person's identifying terms, and how text and
record data are scrubbed of them. Pure: the same functions scrub today's files and every
blob and commit message of history, so both agree on what is gone."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, MutableMapping, MutableSequence
from dataclasses import dataclass
from typing import Any

ERASED = "(erased)"
"""What replaces a term inside a longer text: a plain YAML scalar that parses as itself."""

_SEPARATORS = r"[\s\-./()]*"
_MIN_TERM = 3
_NOT_DIGIT = re.compile(r"[\s\-./()+]")


def _phone_pattern(phone: str) -> str | None:
    """A phone number however it is spaced: its digits with any separators between."""
    digits = re.sub(r"\D", "", phone)
    if len(digits) < 5:
        return None
    plus = r"\+?" if phone.strip().startswith("+") else ""
    return r"(?<![\d+])" + plus + _SEPARATORS.join(digits) + r"(?!\d)"


def _word_pattern(term: str) -> str:
    """A name, email, id or address as a whole word, any case."""
    return r"(?<![\w@.-])" + re.escape(term) + r"(?![\w@-]|\.\w)"


@dataclass(frozen=True)
class Terms:
    """The person's identifying strings: names, emails, ids, addresses (matched as whole
    words, any case) and phone numbers (matched by their digits)."""

    words: tuple[str, ...]
    phones: tuple[str, ...] = ()

    @classmethod
    def of(cls, words: Iterable[str | None], phones: Iterable[str | None] = ()) -> Terms:
        kept = sorted(
            {w.strip() for w in words if w and len(w.strip()) >= _MIN_TERM},
            key=lambda w: (-len(w), w.casefold()),
        )
        return cls(tuple(kept), tuple(sorted({p.strip() for p in phones if p and p.strip()})))

    def pattern(self) -> re.Pattern[str]:
        parts = [_word_pattern(w) for w in self.words]
        parts += [p for p in map(_phone_pattern, self.phones) if p]
        if not parts:
            return re.compile(r"(?!x)x")  # matches nothing
        return re.compile("|".join(parts), re.IGNORECASE)


class Scrubber:
    """Replaces every term in text with ``(erased)`` and drops list items that are only
    a term (an email in ``emails:``, a contact name in ``contacts:``, an id in
    ``clients:``), and list entries that are mappings naming the person."""

    def __init__(self, terms: Terms, drop_ids: Iterable[str] = ()) -> None:
        self.terms = terms
        self._pattern = terms.pattern()
        self.drop_ids = frozenset(drop_ids)
        self._words = tuple(w.casefold() for w in terms.words)
        self._digits = tuple(d for d in (re.sub(r"\D", "", p) for p in terms.phones) if d)

    def _maybe(self, text: str) -> bool:
        """A cheap test that never misses a match: most files mention nobody, and the
        pattern (phone digits with any separators between) is slow on long texts."""
        folded = text.casefold()
        if any(w in folded for w in self._words):
            return True
        return bool(self._digits) and any(d in re.sub(_NOT_DIGIT, "", text) for d in self._digits)

    def found(self, text: str) -> bool:
        return self._maybe(text) and self._pattern.search(text) is not None

    def text(self, text: str) -> str:
        return self._pattern.sub(ERASED, text) if self._maybe(text) else text

    def _only_term(self, value: str) -> bool:
        return value in self.drop_ids or self._pattern.sub("", value).strip(" ,;") == ""

    def data(self, value: Any) -> Any:
        """``value`` scrubbed in place where it is mutable (ruamel's round-trip maps and
        lists keep their comments), else a scrubbed copy; the result either way."""
        if isinstance(value, str):
            return self.text(value) if self.found(value) else value
        if isinstance(value, MutableMapping):
            for key in list(value):
                value[key] = self.data(value[key])
            return value
        if isinstance(value, MutableSequence):
            for i in reversed(range(len(value))):
                item = value[i]
                if self._drops(item):
                    del value[i]
                else:
                    value[i] = self.data(item)
            return value
        return value

    def _drops(self, item: Any) -> bool:
        if isinstance(item, str):
            return self._droppable(item)
        return isinstance(item, MutableMapping) and self._names_person(item)

    def _droppable(self, item: str) -> bool:
        return item in self.drop_ids or (self.found(item) and self._only_term(item))

    def _names_person(self, item: MutableMapping[str, Any]) -> bool:
        name = item.get("name")
        return isinstance(name, str) and self.found(name) and self._only_term(name)


def subject_hash(salt: str, key: str) -> str:
    """``sha256:...`` of the salt and the casefolded key (an email or id). Lets the team
    answer "was this person erased?" when they ask again, without the log naming them."""
    digest = hashlib.sha256(f"{salt}\0{key.strip().casefold()}".encode()).hexdigest()
    return f"sha256:{digest}"


__all__ = ["ERASED", "Scrubber", "Terms", "subject_hash"]
