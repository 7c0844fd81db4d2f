"""Looking after the local index (``.tcrm/index.sqlite``): its state, and a rebuild."""

from __future__ import annotations

from dataclasses import dataclass

from tcrm.errors import WorkspaceError
from tcrm.store.index import Index, IndexUnavailable, ProgressBar
from tcrm.store.workspace import Workspace


@dataclass(frozen=True)
class IndexState:
    """What ``tcrm index status`` shows."""

    path: str
    counts: dict[str, int]
    broken: int
    head: str | None
    reparsed: int
    size_bytes: int


def index_status(ws: Workspace) -> IndexState:
    """The index brought up to date, with what it holds."""
    index = _fresh(ws)
    reparsed = index.last_reparsed
    summary = index.summary()
    return IndexState(
        path=ws.rel(index.path),
        counts=summary.counts,
        broken=summary.broken,
        head=summary.head,
        reparsed=reparsed,
        size_bytes=index.path.stat().st_size,
    )


def warm_up(ws: Workspace) -> None:
    """Bring the index up to date now, if there is one to keep (no error when it is off).

    A long-running front end calls this before it starts its threads: a first index of
    a big workspace is parsed by one process per core only from a single-threaded one.
    """
    ws.index()


def rebuild_index(ws: Workspace, progress: ProgressBar | None = None) -> IndexState:
    """Throw the index away and read every record file again (it is only a cache)."""
    ws.forget_index()
    ws.ensure_local_dir()
    try:
        Index(ws.root, ws.local_dir).remove()
    except IndexUnavailable as exc:
        raise WorkspaceError(f"cannot rebuild the index: {exc}") from None
    ws.index_progress = progress or ws.index_progress
    return index_status(ws)


def _fresh(ws: Workspace) -> Index:
    index = ws.index()
    if index is None:
        raise WorkspaceError(
            "the local index is off ($TCRM_INDEX) or cannot be kept in "
            f"{ws.rel(ws.local_dir)}/ (read-only?); commands read the files instead"
        )
    return index
