"""A team of three on real remotes: OpenSSH's ``sshd`` and git's own smart-HTTP backend.

Each scenario: ann makes the workspace and pushes it; ben and chloe ``tcrm clone`` it; all
three change records (different records, and different fields of one record) and
``tcrm sync`` in turn until every clone holds the same records, ``git fsck`` is clean and
``tcrm check`` passes; a fourth person joins with plain ``git clone``. Credentials come
from where git keeps them: ``GIT_SSH_COMMAND`` (or ``core.sshCommand``) with a key for
ssh, ``~/.git-credentials`` through git's ``store`` helper for https.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from tcrm.model.records import Client, Deal
from tcrm.services.setup import init_workspace
from tests.clitools import assert_refused, commit_count, git, run, snapshot
from tests.servers import HttpServer, SshServer
from tests.teamtools import assert_healthy, edit, put, record, records_of, sync

pytestmark = pytest.mark.network  # real servers on loopback (sshd, git http-backend, Dovecot, SMTP)


def _three_clone_scenario(tmp_path: Path, url: str, as_user) -> dict[str, Path]:
    """ann pushes, ben and chloe clone, everyone edits and syncs; returns the clones."""
    as_user("ann")
    ann = init_workspace(tmp_path / "ann", name="Team Co").root
    put(
        ann,
        "seed: two clients and a deal",
        Client(id="acme", name="Acme", tags=["smb"]),
        Client(id="beta", name="Beta", status="lead"),
        Deal(
            id="acme-website", title="Acme website", client="acme", pipeline="sales", stage="lead"
        ),
        create=True,
    )
    added = run("-w", ann, "remote", "add", "origin", url)
    assert added.code == 0, added.err
    assert sync(ann)["action"] == "pushed"
    clones = {"ann": ann}
    for user in ("ben", "chloe"):
        as_user(user)
        cloned = run("clone", url, tmp_path / user)
        assert cloned.code == 0, cloned.err
        clones[user] = tmp_path / user
        assert records_of(clones[user]) == records_of(ann)
    ben, chloe = clones["ben"], clones["chloe"]

    as_user("ann")
    edit(ann, "client", "acme", "client acme: tag vip", tags=["smb", "vip"])
    as_user("ben")
    edit(ben, "client", "acme", "client acme: status active", status="active")
    put(ben, "client gamma: add", Client(id="gamma", name="Gamma"), create=True)
    as_user("chloe")
    edit(chloe, "deal", "acme-website", "deal acme-website: amount", amount="12000")
    edit(chloe, "client", "beta", "client beta: status active", status="active")

    for user in ("ann", "ben", "chloe", "ann", "ben"):
        as_user(user)
        assert sync(clones[user])["action"] in {"pushed", "merged", "fast-forward", "up-to-date"}

    for root in clones.values():
        assert records_of(root) == records_of(ann)
        assert_healthy(root)
        checked = run("-w", root, "check")
        assert checked.code == 0, checked.out + checked.err
    assert record(ann, "clients/acme.yaml")["tags"] == ["smb", "vip"]
    assert record(ann, "clients/acme.yaml")["status"] == "active"
    assert record(ann, "clients/gamma.yaml")["name"] == "Gamma"
    assert str(record(ann, "deals/acme-website.yaml")["amount"]) == "12000"
    authors = git(ann, "log", "--format=%ae").split()
    assert {"ann@example.com", "ben@example.com", "chloe@example.com"} <= set(authors)
    return clones


def _plain_git_clone(url: str, target: Path) -> None:
    """A fourth teammate joins with git alone: the checkout is the workspace."""
    subprocess.run(["git", "clone", "-q", "--branch", "main", url, str(target)], check=True)
    assert (target / "tcrm.yaml").is_file()
    checked = run("-w", target, "check")
    assert checked.code == 0, checked.out + checked.err


def test_three_clones_sync_over_ssh(tmp_path: Path, sshd_remote: SshServer, as_user) -> None:
    clones = _three_clone_scenario(tmp_path, sshd_remote.url, as_user)
    remote_head = git(sshd_remote.remote, "rev-parse", "refs/heads/main").strip()
    assert remote_head == git(clones["ann"], "rev-parse", "HEAD").strip()
    fsck = subprocess.run(
        ["git", "-C", str(sshd_remote.remote), "fsck", "--full", "--strict"],
        capture_output=True,
        text=True,
    )
    assert fsck.returncode == 0, fsck.stdout + fsck.stderr
    _plain_git_clone(sshd_remote.url, tmp_path / "dan")
    assert records_of(tmp_path / "dan") == records_of(clones["ann"])


def test_ssh_command_from_git_config(
    tmp_path: Path, sshd_remote: SshServer, as_user, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``core.sshCommand`` in the clone's git config is honoured like ``GIT_SSH_COMMAND``."""
    as_user("ann")
    ann = init_workspace(tmp_path / "ann", name="Team Co").root
    put(ann, "client acme: add", Client(id="acme", name="Acme"), create=True)
    monkeypatch.delenv("GIT_SSH_COMMAND")
    git(ann, "config", "core.sshCommand", sshd_remote.ssh_command)
    assert run("-w", ann, "remote", "add", "origin", sshd_remote.url).code == 0
    assert sync(ann)["action"] == "pushed"
    assert (
        git(sshd_remote.remote, "rev-parse", "refs/heads/main").strip()
        == git(ann, "rev-parse", "HEAD").strip()
    )


def test_ssh_without_a_key_the_server_accepts_is_one_line(
    tmp_path: Path, sshd_remote: SshServer, as_user, monkeypatch: pytest.MonkeyPatch
) -> None:
    as_user("ann")
    ann = init_workspace(tmp_path / "ann", name="Team Co").root
    stranger = tmp_path / "stranger_key"
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(stranger)], check=True)
    monkeypatch.setenv(
        "GIT_SSH_COMMAND",
        sshd_remote.ssh_command.replace(sshd_remote.ssh_command.split()[2], str(stranger)),
    )
    assert run("-w", ann, "remote", "add", "origin", sshd_remote.url).code == 0
    before, commits = snapshot(ann), commit_count(ann)
    result = run("-w", ann, "sync")
    assert_refused(ann, result, before, commits)
    assert "remote 'origin'" in result.err and "Permission denied" in result.err, result.err
    assert git(sshd_remote.remote, "for-each-ref").strip() == ""


@pytest.fixture
def git_credentials(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A HOME of the test's own, so ``~/.git-credentials`` and ``~/.gitconfig`` are ours."""
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.delenv("XDG_CONFIG_HOME", raising=False)
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    monkeypatch.setenv("GIT_TERMINAL_PROMPT", "0")
    return home


def _store_credentials(home: Path, server: HttpServer, password: str) -> None:
    """What ``git credential approve`` with the store helper leaves behind."""
    subprocess.run(
        ["git", "config", "--global", "credential.helper", "store"], check=True, env=os.environ
    )
    host = server.url.split("/")[2]
    from urllib.parse import quote

    line = f"http://{quote(server.user, safe='')}:{quote(password, safe='')}@{host}\n"
    (home / ".git-credentials").write_text(line)
    (home / ".git-credentials").chmod(0o600)


def test_three_clones_sync_over_smart_http_with_basic_auth(
    tmp_path: Path, http_backend_remote: HttpServer, git_credentials: Path, as_user
) -> None:
    _store_credentials(git_credentials, http_backend_remote, http_backend_remote.password)
    clones = _three_clone_scenario(tmp_path, http_backend_remote.url, as_user)
    assert (
        git(http_backend_remote.remote, "rev-parse", "refs/heads/main").strip()
        == git(clones["ann"], "rev-parse", "HEAD").strip()
    )
    pushes = [r for r in http_backend_remote.requests if "git-receive-pack" in r]
    assert pushes and all(r.endswith(" ann") for r in pushes if r.startswith("POST"))
    for root in clones.values():  # the password never lands in the workspace's git config
        assert http_backend_remote.password not in (root / ".git" / "config").read_text()
    _plain_git_clone(http_backend_remote.url, tmp_path / "dan")
    assert records_of(tmp_path / "dan") == records_of(clones["ann"])


def test_a_wrong_http_password_is_one_line_and_changes_nothing(
    tmp_path: Path, http_backend_remote: HttpServer, git_credentials: Path, as_user
) -> None:
    _store_credentials(git_credentials, http_backend_remote, "not the password")
    as_user("ann")
    ann = init_workspace(tmp_path / "ann", name="Team Co").root
    put(ann, "client acme: add", Client(id="acme", name="Acme"), create=True)
    assert run("-w", ann, "remote", "add", "origin", http_backend_remote.url).code == 0
    before, commits = snapshot(ann), commit_count(ann)
    result = run("-w", ann, "sync")
    assert_refused(ann, result, before, commits)
    assert "remote 'origin'" in result.err
    assert "refused the credentials (HTTP 401)" in result.err
    assert git(http_backend_remote.remote, "for-each-ref").strip() == ""

    cloned = run("clone", http_backend_remote.url, tmp_path / "ben")
    assert cloned.code != 0
    assert len(cloned.err.strip().splitlines()) == 1, cloned.err
    assert not (tmp_path / "ben" / "tcrm.yaml").exists()


def test_a_credential_helper_program_answers_for_https(
    tmp_path: Path, http_backend_remote: HttpServer, git_credentials: Path, as_user
) -> None:
    """Any configured helper works, not only the store: here a shell one, as in git's docs."""
    user, password = http_backend_remote.user, http_backend_remote.password
    helper = f"!f() {{ echo username={user}; echo 'password={password}'; }}; f"
    subprocess.run(["git", "config", "--global", "credential.helper", helper], check=True)
    as_user("ann")
    ann = init_workspace(tmp_path / "ann", name="Team Co").root
    assert run("-w", ann, "remote", "add", "origin", http_backend_remote.url).code == 0
    assert sync(ann)["action"] == "pushed"
    cloned = run("clone", http_backend_remote.url, tmp_path / "ben")
    assert cloned.code == 0, cloned.err
    assert records_of(tmp_path / "ben") == records_of(ann)
