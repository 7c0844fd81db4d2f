"""Ancestry and merge bases in a commit graph, right whatever the commit times say.

Both questions are git's ``paint_down_to_common``: walk down from the two commits newest
first, painting each commit with the side(s) it is reached from; a commit reached from both
is a common ancestor, and everything below one is marked stale; the walk ends when only
stale commits are left to visit. Commit times only order the walk. When they do not follow
the graph (several commits in one second: a script, a sync; a teammate's clock behind), a
common ancestor can be found before a newer one that it lies below, and the walk can end
before it is marked stale. dulwich's ``find_merge_base`` then answers two merge bases where
there is one, and its ``can_fast_forward`` says "not an ancestor" of an ancestor (a sync
merged where it should fast-forward; ``tcrm verify`` refused a fast-forward push).

So, as git does, the walk's candidates are filtered afterwards: a commit is an ancestor of
another exactly when the walk from the two finds it among its candidates (the best common
ancestors are always found, and the ancestor is then the only one), and a candidate below
another candidate is dropped. No time prunes the walk.

Pure: the graph is read through two functions, so the same code serves a repository and a
pre-receive hook's quarantine."""

from __future__ import annotations

import heapq
from collections.abc import Callable, Sequence

Parents = Callable[[bytes], Sequence[bytes]]
"""A commit's parents, in order."""
Stamp = Callable[[bytes], int]
"""A commit's committer time (only orders the walk)."""

_ONE, _TWO, _STALE, _FOUND = 1, 2, 4, 8


def is_ancestor(parents: Parents, stamp: Stamp, ancestor: bytes, descendant: bytes) -> bool:
    """Whether ``ancestor`` is ``descendant`` or one of its ancestors."""
    if ancestor == descendant:
        return True
    return ancestor in _candidates(parents, stamp, ancestor, descendant)


def merge_bases(parents: Parents, stamp: Stamp, one: bytes, two: bytes) -> list[bytes]:
    """The best common ancestors of ``one`` and ``two`` (none is an ancestor of another),
    newest first; ``[]`` for unrelated histories."""
    if one == two:
        return [one]
    found = _candidates(parents, stamp, one, two)
    if len(found) < 2:
        return found
    return [
        c for c in found if not any(o != c and is_ancestor(parents, stamp, c, o) for o in found)
    ]


def _candidates(parents: Parents, stamp: Stamp, one: bytes, two: bytes) -> list[bytes]:
    """Common ancestors of ``one`` and ``two`` that the walk did not see below another:
    every best common ancestor, and possibly some below one (see the module's docstring)."""
    flags: dict[bytes, int] = {one: _ONE, two: _TWO}
    queue: list[tuple[int, int, bytes]] = []
    order = 0  # ties in time: first reached, first visited (as git's queue)

    def push(commit: bytes) -> None:
        nonlocal order
        heapq.heappush(queue, (-stamp(commit), order, commit))
        order += 1

    push(one)
    push(two)
    found: list[bytes] = []
    while any(not flags[c] & _STALE for _, _, c in queue):
        commit = heapq.heappop(queue)[2]
        paint = flags[commit] & (_ONE | _TWO | _STALE)
        if paint == _ONE | _TWO:
            if not flags[commit] & _FOUND:
                flags[commit] |= _FOUND
                found.append(commit)
            paint |= _STALE
        for parent in parents(commit):
            had = flags.get(parent, 0)
            if had & paint == paint:
                continue
            flags[parent] = had | paint
            push(parent)
    return [c for c in found if not flags[c] & _STALE]
