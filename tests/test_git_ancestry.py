"""Ancestry and merge bases (``tcrm sync`` chooses push / fast-forward / merge with them,
``tcrm verify`` refuses a push that is not a fast-forward), held to the real ``git`` CLI on
histories whose commits share one commit time, and to a brute-force answer on any graph."""

from __future__ import annotations

import random
import subprocess
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from tcrm.store import git as git_store
from tcrm.store.git import ancestry
from tcrm.store.git.ranges import Repository

T0 = 1_767_000_000


def _commit(repo, parents: list[bytes], when: int, text: str) -> bytes:
    from dulwich.objects import Blob, Commit, Tree

    blob = Blob.from_string(text.encode())
    tree = Tree()
    tree.add(b"f", 0o100644, blob.id)
    commit = Commit()
    commit.tree, commit.parents = tree.id, parents
    commit.author = commit.committer = b"Ann <ann@example.com>"
    commit.author_time = commit.commit_time = when
    commit.author_timezone = commit.commit_timezone = 0
    commit.message = text.encode()
    for obj in (blob, tree, commit):
        repo.object_store.add_object(obj)
    return commit.id


def _team_history(repo, n: int) -> dict[str, bytes]:
    """What three teammates' syncs make: a seed; ann's two commits, ben's three, chloe's
    two, each on their own; ben merges ann's, chloe merges ben's merge. All in the same
    second but the merges (one or two seconds later, or not), as a fast machine makes them."""
    rnd = random.Random(n)
    seed = _commit(repo, [], T0, f"seed {n}")
    tips = {}
    for who, count in (("ann", 2), ("ben", 3), ("chloe", 2)):
        tip = seed
        for i in range(count):
            tip = _commit(repo, [tip], T0, f"{who} {i} {n}")
        tips[who] = tip
    ben_merge = _commit(repo, [tips["ben"], tips["ann"]], T0 + rnd.choice([0, 1]), f"m1 {n}")
    chloe_merge = _commit(repo, [tips["chloe"], ben_merge], T0 + rnd.choice([0, 1, 2]), f"m2 {n}")
    return {"seed": seed, **tips, "ben_merge": ben_merge, "chloe_merge": chloe_merge}


def _git_graph(root: Path, tips: list[bytes]) -> dict[bytes, list[bytes]]:
    """Every commit below ``tips`` and its parents, as the git program reads them."""
    out = subprocess.run(
        ["git", "-C", str(root), "rev-list", "--parents", *(t.decode() for t in tips)],
        capture_output=True,
        check=True,
        text=True,
    ).stdout
    graph = {}
    for line in out.splitlines():
        commit, *parents = line.split()
        graph[commit.encode()] = [p.encode() for p in parents]
    return graph


def _below(graph: dict[bytes, list[bytes]], commit: bytes) -> set[bytes]:
    """``commit`` and all its ancestors."""
    seen, todo = set(), [commit]
    while todo:
        c = todo.pop()
        if c not in seen:
            seen.add(c)
            todo.extend(graph[c])
    return seen


def _best_common(graph: dict[bytes, list[bytes]], one: bytes, two: bytes) -> set[bytes]:
    common = _below(graph, one) & _below(graph, two)
    under = {o: _below(graph, o) - {o} for o in common}
    return {c for c in common if not any(c in under[o] for o in common)}


def test_ancestry_and_merge_bases_agree_with_git_when_commits_share_a_time(tmp_path) -> None:
    """Wrong before (dulwich's can_fast_forward and find_merge_base): with equal commit
    times the walk could stop early, so a sync merged where it should fast-forward."""
    from dulwich.repo import Repo

    root = tmp_path / "repo"
    repo = Repo.init(str(root), mkdir=True)
    histories = [_team_history(repo, n) for n in range(8)]
    repo.close()
    graph = _git_graph(root, [h["chloe_merge"] for h in histories])
    wrong = []
    with Repository(root) as verified:
        for history in histories:
            for one in history.values():
                for two in history.values():
                    expected = one in _below(graph, two)
                    a, b = one.decode(), two.decode()
                    if git_store.is_ancestor(root, a, b) != expected:
                        wrong.append(("is_ancestor", a, b))
                    if verified.is_ancestor(a, b) != expected:
                        wrong.append(("verify", a, b))
                    bases = {s.encode() for s in git_store.merge_bases(root, a, b)}
                    if bases != _best_common(graph, one, two):
                        wrong.append(("merge_bases", a, b))
    assert wrong == []


@st.composite
def _graphs(draw: st.DrawFn) -> tuple[dict[bytes, list[bytes]], dict[bytes, int]]:
    """A commit graph (each commit's parents made before it: roots, chains, merges) and
    commit times that may tie or run backwards (a teammate's clock behind)."""
    size = draw(st.integers(1, 14))
    graph: dict[bytes, list[bytes]] = {}
    times: dict[bytes, int] = {}
    for i in range(size):
        commit = f"c{i:02d}".encode()
        recent = list(graph)[-4:]  # mostly chains and merges of recent work, some roots
        parents = draw(st.lists(st.sampled_from(recent), max_size=2, unique=True)) if recent else []
        graph[commit] = parents
        times[commit] = draw(st.integers(0, 3))
    return graph, times


@settings(max_examples=200, deadline=None)
@given(_graphs(), st.data())
def test_ancestry_and_merge_bases_match_the_graph_whatever_the_times(graph_times, data) -> None:
    graph, times = graph_times
    one = data.draw(st.sampled_from(sorted(graph)))
    two = data.draw(st.sampled_from(sorted(graph)))
    assert ancestry.is_ancestor(graph.__getitem__, times.__getitem__, one, two) == (
        one in _below(graph, two)
    )
    bases = ancestry.merge_bases(graph.__getitem__, times.__getitem__, one, two)
    assert len(bases) == len(set(bases))
    assert set(bases) == _best_common(graph, one, two)
