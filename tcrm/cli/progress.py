"""Progress bars on stderr for long work, only when stderr is a terminal."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager

from tcrm.cli.terminal import err


@contextmanager
def bar(label: str, total: int | None = None) -> Iterator[Callable[[int, int], None] | None]:
    """A transient bar labelled ``label``; ``None`` (nothing shown) when piped."""
    if not err.is_terminal:
        yield None
        return
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        console=err,
        transient=True,
    ) as progress:
        task = progress.add_task(label, total=total)

        def update(done: int, total: int) -> None:
            progress.update(task, completed=done, total=total)

        yield update


def index_bar(total: int) -> AbstractContextManager[Callable[[int, int], None] | None]:
    """The bar shown while a first index of a big workspace is built."""
    return bar("Indexing the workspace (once)", total)
