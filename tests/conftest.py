"""Shared fixtures: a real workspace in a real git repository, and the git CLI to check it."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from tcrm.services.setup import init_workspace
from tcrm.store.workspace import Workspace
from tests.clitools import IDENTITY_ENV, _sample_template, sample_ws, tcrm_on_path
from tests.servers import (
    dovecot,
    dovecot_tls,
    http_backend_remote,
    smtp_server,
    smtp_tls_server,
    sshd_remote,
)
from tests.teamtools import as_user, team

__all__ = [  # fixtures shared by every test module: no test module imports them
    "_sample_template",
    "as_user",
    "dovecot",
    "dovecot_tls",
    "http_backend_remote",
    "sample_ws",
    "smtp_server",
    "smtp_tls_server",
    "sshd_remote",
    "tcrm_on_path",
    "team",
]


def pytest_xdist_auto_num_workers(config: pytest.Config) -> int | None:
    """``-n auto``: one worker more than the cores this process may use. A quarter of a
    worker's time is spent waiting (git and tcrm child processes, servers on loopback,
    Textual's idle checks), which the extra worker fills: on 2 cores the suite ran in
    about 530 s with 3 workers where 2 took 665 s. ``PYTEST_XDIST_AUTO_NUM_WORKERS``
    still decides when set (xdist's own hook reads it)."""
    if os.environ.get("PYTEST_XDIST_AUTO_NUM_WORKERS"):
        return None
    cores = os.sched_getaffinity(0) if hasattr(os, "sched_getaffinity") else None
    return (len(cores) if cores else os.cpu_count() or 1) + 1


@pytest.fixture(autouse=True, scope="session")
def _one_click_command() -> Iterator[None]:
    """In-process runs share the click command built for the same registrations
    (tests/cli_cache.py): building it is most of a small command's cost in a test."""
    from tcrm.cli import main as cli_main
    from tests.cli_cache import cached

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(cli_main, "command", cached(cli_main.command, cli_main.app))
        yield


@pytest.fixture(autouse=True)
def git_identity(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every commit a test makes (through dulwich or the git CLI) has the same identity."""
    for key, value in IDENTITY_ENV.items():
        monkeypatch.setenv(key, value)
    monkeypatch.delenv("TCRM_WORKSPACE", raising=False)


@pytest.fixture
def workspace(tmp_path: Path) -> Workspace:
    """A fresh workspace made by ``tcrm init`` with one commit."""
    return init_workspace(tmp_path / "ws", name="Test Co")


@pytest.fixture
def pools(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """One item each time work is shared out to forked processes (a process pool made
    by ``tcrm.store.parallel``); the pool itself is the real one."""
    import concurrent.futures

    made: list[int] = []
    real = concurrent.futures.ProcessPoolExecutor

    class Counted(real):  # type: ignore[misc, valid-type]
        def __init__(self, *args: object, **kwargs: object) -> None:
            made.append(1)
            super().__init__(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(concurrent.futures, "ProcessPoolExecutor", Counted)
    return made
