"""The access policy where it is enforced: a real bare repository with the documented
pre-receive hook, pushed to by three clones with plain ``git push`` (and over ssh); real
SSH-signed commits; and ``tcrm sync`` refusing before the server does."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from tests.accesstools import (
    MEMBERS,
    change,
    deal,
    git_as,
    head,
    make_team_workspace,
    tcrm_wrapper,
    verify,
)
from tests.clitools import run
from tests.servers import SshServer, bare_repository

pytestmark = pytest.mark.network  # real servers on loopback (sshd, git http-backend, Dovecot, SMTP)

HOOK = Path(__file__).resolve().parent.parent / "scripts" / "pre-receive"
POLICY = """\
access:
  roles:
    admin: [ann]
    sales: [ben, chloe]
  may:
    change_settings: [admin]
    delete_records: [admin]
    max_deletes_per_push: 1
    close_deals_above: {amount: 50000, roles: [admin]}
"""


def install_hook(remote: Path, tmp_path: Path) -> None:
    """scripts/pre-receive as docs/access.md says: copied, TCRM pointed at the server's tcrm."""
    tcrm = tcrm_wrapper(tmp_path / "bin")
    text = HOOK.read_text().replace('TCRM="${TCRM:-tcrm}"', f'TCRM="{tcrm}"')
    assert str(tcrm) in text, 'scripts/pre-receive should set TCRM="${TCRM:-tcrm}"'
    hook = remote / "hooks" / "pre-receive"
    hook.write_text(text)
    hook.chmod(0o755)


@pytest.fixture
def hosted(tmp_path: Path) -> tuple[Path, dict[str, Path]]:
    """A bare repository with the hook, holding ann's workspace; a clone per member."""
    origin = make_team_workspace(tmp_path / "ann-setup", POLICY)
    remote = bare_repository(tmp_path / "remote.git")
    git_as("ann", origin, "push", "-q", str(remote), "HEAD:refs/heads/main")
    subprocess.run(
        ["git", "--git-dir", str(remote), "symbolic-ref", "HEAD", "refs/heads/main"], check=True
    )
    install_hook(remote, tmp_path)
    clones = {}
    for member in MEMBERS:
        clone = tmp_path / member
        git_as(member, tmp_path, "clone", "-q", str(remote), str(clone))
        clones[member] = clone
    return remote, clones


def remote_head(remote: Path) -> str:
    return subprocess.run(
        ["git", "--git-dir", str(remote), "rev-parse", "main"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()


def push(member: str, clone: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return git_as(member, clone, "push", *args, check=False)


def test_allowed_pushes_land_and_forbidden_ones_are_refused_with_tcrms_lines(hosted) -> None:
    remote, clones = hosted
    ann, ben, chloe = clones["ann"], clones["ben"], clones["chloe"]
    # chloe: a deal of her own, allowed
    change(chloe, "chloe", "chloe's deal", {"deals/chloe-one.yaml": deal("bolt", 1000, "chloe")})
    result = push("chloe", chloe, "origin", "main")
    assert result.returncode == 0, result.stderr
    assert remote_head(remote) == head(chloe)
    # ben: closes the big deal, above the limit: refused, tcrm's line in git's output
    git_as("ben", ben, "pull", "-q", "--no-rebase", "origin", "main")
    before = remote_head(remote)
    commit = change(
        ben, "ben", "ben wins big", {"deals/acme-big.yaml": deal("acme", 60000, "ann", "won")}
    )
    result = push("ben", ben, "origin", "main")
    assert result.returncode != 0
    assert (
        f"remote: {commit[:12]} ben@example.com deals/acme-big.yaml: close_deals_above: won at "
        "60,000 EUR (above 50,000 EUR); only admin may"
    ) in result.stderr
    assert "pre-receive hook declined" in result.stderr
    assert remote_head(remote) == before
    # ann may
    git_as("ann", ann, "pull", "-q", "--no-rebase", "origin", "main")
    change(ann, "ann", "ann wins big", {"deals/acme-big.yaml": deal("acme", 60000, "ann", "won")})
    result = push("ann", ann, "origin", "main")
    assert result.returncode == 0, result.stderr
    assert remote_head(remote) == head(ann)
    fsck = subprocess.run(["git", "--git-dir", str(remote), "fsck"], capture_output=True, text=True)
    assert fsck.returncode == 0, fsck.stderr


def test_a_member_who_grants_themselves_a_right_is_refused(hosted) -> None:
    remote, clones = hosted
    ben = clones["ben"]
    before = remote_head(remote)
    settings = (ben / "tcrm.yaml").read_text()
    change(
        ben,
        "ben",
        "ben is admin now",
        {"tcrm.yaml": settings.replace("admin: [ann]", "admin: [ann, ben]")},
    )
    use = change(ben, "ben", "ben deletes acme", {"clients/acme.yaml": None})
    result = push("ben", ben, "origin", "main")
    assert result.returncode != 0
    assert "tcrm.yaml: change_settings: only admin may" in result.stderr
    assert f"remote: {use[:12]} ben@example.com clients/acme.yaml: delete_records" in result.stderr
    assert remote_head(remote) == before


def test_a_mass_delete_over_the_limit_is_refused_at_the_server(hosted) -> None:
    remote, clones = hosted
    ann = clones["ann"]
    before = remote_head(remote)
    change(ann, "ann", "ann deletes one", {"deals/bolt-small.yaml": None})
    second = change(ann, "ann", "and another", {"deals/acme-big.yaml": None})
    result = push("ann", ann, "origin", "main")
    assert result.returncode != 0
    assert f"remote: {second[:12]} ann@example.com deals/acme-big.yaml: max_deletes_per_push" in (
        result.stderr
    )
    assert remote_head(remote) == before


def test_a_new_branch_and_a_force_push_are_judged_too(hosted) -> None:
    _remote, clones = hosted
    chloe = clones["chloe"]
    git_as("chloe", chloe, "checkout", "-q", "-b", "chloe-branch")
    change(chloe, "chloe", "chloe deletes", {"deals/bolt-small.yaml": None})
    result = push("chloe", chloe, "origin", "chloe-branch")
    assert result.returncode != 0
    assert "deals/bolt-small.yaml: delete_records: only admin may" in result.stderr
    # rewriting main (a force push) is not a fast-forward: refused for a sales member
    git_as("chloe", chloe, "checkout", "-q", "main")
    change(chloe, "chloe", "chloe's note", {"kb/note.md": "# note\n"})
    git_as("chloe", chloe, "commit", "-q", "--amend", "-m", "rewritten")
    push("chloe", chloe, "origin", "main")  # the first version lands
    git_as("chloe", chloe, "commit", "-q", "--amend", "-m", "rewritten again")
    result = push("chloe", chloe, "--force", "origin", "main")
    assert result.returncode != 0
    assert "rewrites history" in result.stderr


def test_the_hook_refuses_over_ssh_too(tmp_path, sshd_remote: SshServer) -> None:
    origin = make_team_workspace(tmp_path / "setup", POLICY)
    git_as("ann", origin, "push", "-q", sshd_remote.url, "HEAD:refs/heads/main")
    subprocess.run(
        ["git", "--git-dir", str(sshd_remote.remote), "symbolic-ref", "HEAD", "refs/heads/main"],
        check=True,
    )
    install_hook(sshd_remote.remote, tmp_path)
    ben = tmp_path / "ben"
    git_as("ben", tmp_path, "clone", "-q", sshd_remote.url, str(ben))
    before = remote_head(sshd_remote.remote)
    commit = change(ben, "ben", "ben deletes", {"clients/bolt.yaml": None})
    result = push("ben", ben, "origin", "main")
    assert result.returncode != 0
    assert (
        f"remote: {commit[:12]} ben@example.com clients/bolt.yaml: delete_records" in result.stderr
    )
    assert remote_head(sshd_remote.remote) == before
    change(ben, "ben", "ben restores", {"clients/bolt.yaml": "name: Bolt Ltd\nowner: ben\n"})
    git_as("ben", ben, "reset", "-q", "--hard", before)
    change(ben, "ben", "ben's deal", {"deals/ben-2.yaml": deal("bolt", 10, "ben")})
    result = push("ben", ben, "origin", "main")
    assert result.returncode == 0, result.stderr


# --- tcrm sync learns before the server says no ----------------------------------------------


def test_sync_refuses_what_the_server_would_with_the_same_lines(hosted, monkeypatch) -> None:
    remote, clones = hosted
    ben = clones["ben"]
    for key, value in zip(("NAME", "EMAIL"), MEMBERS["ben"], strict=True):
        monkeypatch.setenv(f"GIT_AUTHOR_{key}", value)
        monkeypatch.setenv(f"GIT_COMMITTER_{key}", value)
    before = remote_head(remote)
    result = run("-w", str(ben), "deal", "won", "acme-big")
    assert result.code == 0, result.err
    commit = head(ben)
    result = run("-w", str(ben), "sync")
    assert result.code == 1
    assert (
        f"{commit[:12]} ben@example.com deals/acme-big.yaml: close_deals_above: won at 60,000 EUR "
        "(above 50,000 EUR); only admin may"
    ) in result.err
    assert "nothing was pushed" in result.err
    assert remote_head(remote) == before
    # the server would have said the same
    server = push("ben", ben, "origin", "main")
    assert f"remote: {commit[:12]} ben@example.com deals/acme-big.yaml: close_deals_above" in (
        server.stderr
    )


# --- signed commits -----------------------------------------------------------------------------


@pytest.fixture
def keys(tmp_path: Path) -> dict[str, Path]:
    if shutil.which("ssh-keygen") is None:
        pytest.skip("needs ssh-keygen (Debian: openssh-client)")
    out = {}
    for member in MEMBERS:
        key = tmp_path / "keys" / member
        key.parent.mkdir(exist_ok=True)
        subprocess.run(
            ["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", member, "-f", str(key)],
            check=True,
        )
        out[member] = key
    return out


def signed(key: Path) -> tuple[str, ...]:
    return ("-c", "gpg.format=ssh", "-c", f"user.signingkey={key}", "-S")


@pytest.fixture
def signed_ws(tmp_path: Path, keys: dict[str, Path]) -> Path:
    public = {m: k.with_suffix(".pub").read_text().strip() for m, k in keys.items()}
    policy = POLICY + "  require_signed: true\n"
    return make_team_workspace(tmp_path / "ws", policy, keys=public)


def test_signed_commits_by_their_members_pass(signed_ws, keys) -> None:
    start = head(signed_ws)
    change(
        signed_ws,
        "ben",
        "ben's deal",
        {"deals/ben-1.yaml": deal("bolt", 5, "ben")},
        *signed(keys["ben"]),
    )
    change(
        signed_ws,
        "ann",
        "ann's deal",
        {"deals/ann-1.yaml": deal("acme", 5, "ann")},
        *signed(keys["ann"]),
    )
    result = verify(signed_ws, f"{start}..HEAD")
    assert result.code == 0, result.out
    # git itself agrees, with the allowed-signers file tcrm derives from the team list
    allowed = signed_ws.parent / "allowed_signers"
    allowed.write_text(run("-w", str(signed_ws), "verify", "--allowed-signers").out)
    check = subprocess.run(
        [
            "git",
            "-C",
            str(signed_ws),
            "-c",
            f"gpg.ssh.allowedSignersFile={allowed}",
            "verify-commit",
            "HEAD",
        ],
        capture_output=True,
        text=True,
    )
    assert check.returncode == 0, check.stderr
    assert 'Good "git" signature for ann@example.com' in check.stderr


def test_an_unsigned_commit_is_refused(signed_ws) -> None:
    start = head(signed_ws)
    commit = change(signed_ws, "ben", "unsigned", {"deals/ben-1.yaml": deal("bolt", 5, "ben")})
    result = verify(signed_ws, f"{start}..HEAD")
    assert result.code == 1
    assert result.out.splitlines() == [
        f"{commit[:12]} ben@example.com (commit): require_signed: the commit is not signed"
    ]


def test_a_forged_author_email_is_refused(signed_ws, keys) -> None:
    start = head(signed_ws)
    # ben writes as ann (her email), signing with his own key: ann may do what ben may not
    forged = signed(keys["ben"])
    commit = change(signed_ws, "ann", "forged", {"deals/bolt-small.yaml": None}, *forged)
    result = verify(signed_ws, f"{start}..HEAD")
    assert result.code == 1
    assert result.out.splitlines() == [
        f"{commit[:12]} ann@example.com (commit): require_signed: the signature is not by "
        "their signing_key"
    ]


def test_a_signature_over_other_bytes_is_refused(signed_ws, keys) -> None:
    """A valid signature copied from another commit does not cover this one."""
    start = head(signed_ws)
    change(
        signed_ws, "ben", "one", {"deals/ben-1.yaml": deal("bolt", 5, "ben")}, *signed(keys["ben"])
    )
    raw = subprocess.run(
        ["git", "-C", str(signed_ws), "cat-file", "commit", "HEAD"], capture_output=True, check=True
    ).stdout
    tampered = raw.replace(b"\n\none\n", b"\n\ntwo\n")
    forged = (
        subprocess.run(
            ["git", "-C", str(signed_ws), "hash-object", "-t", "commit", "-w", "--stdin"],
            input=tampered,
            capture_output=True,
            check=True,
        )
        .stdout.decode()
        .strip()
    )
    subprocess.run(["git", "-C", str(signed_ws), "reset", "-q", "--soft", forged], check=True)
    result = verify(signed_ws, f"{start}..HEAD")
    assert result.code == 1
    assert "require_signed: the signature is not by their signing_key" in result.out


def test_tcrm_signs_its_own_commits_when_git_is_set_to(signed_ws, keys, monkeypatch) -> None:
    start = head(signed_ws)
    for key, value in zip(("NAME", "EMAIL"), MEMBERS["ben"], strict=True):
        monkeypatch.setenv(f"GIT_AUTHOR_{key}", value)
        monkeypatch.setenv(f"GIT_COMMITTER_{key}", value)
    for setting in ("gpg.format=ssh", f"user.signingkey={keys['ben']}", "commit.gpgsign=true"):
        name, value = setting.split("=", 1)
        subprocess.run(["git", "-C", str(signed_ws), "config", name, value], check=True)
    assert run("-w", str(signed_ws), "client", "add", "Signed Co").code == 0
    assert verify(signed_ws, f"{start}..HEAD").code == 0
    subprocess.run(
        ["git", "-C", str(signed_ws), "config", "user.signingkey", str(keys["ann"])], check=True
    )
    assert run("-w", str(signed_ws), "client", "add", "Forged Co").code == 0
    result = verify(signed_ws, f"{start}..HEAD")
    assert "require_signed: the signature is not by their signing_key" in result.out


def test_a_member_without_a_signing_key_cannot_push_while_signatures_are_required(
    signed_ws, keys
) -> None:
    settings = (signed_ws / "tcrm.yaml").read_text()
    chloe_key = keys["chloe"].with_suffix(".pub").read_text().strip()
    without = settings.replace(f"  signing_key: {chloe_key}\n", "")
    assert without != settings
    change(signed_ws, "ann", "chloe's key removed", {"tcrm.yaml": without}, *signed(keys["ann"]))
    start = head(signed_ws)
    commit = change(
        signed_ws,
        "chloe",
        "chloe",
        {"deals/c-1.yaml": deal("bolt", 5, "chloe")},
        *signed(keys["chloe"]),
    )
    result = verify(signed_ws, f"{start}..HEAD")
    assert result.out.splitlines() == [
        f"{commit[:12]} chloe@example.com (commit): require_signed: chloe@example.com is no team "
        "member with a signing_key"
    ]


def test_tcrm_syncs_merge_commit_is_signed_and_passes(
    tmp_path, signed_ws, keys, monkeypatch
) -> None:
    remote = bare_repository(tmp_path / "signed.git")
    git_as("ann", signed_ws, "push", "-q", str(remote), "HEAD:refs/heads/main")
    subprocess.run(
        ["git", "--git-dir", str(remote), "symbolic-ref", "HEAD", "refs/heads/main"], check=True
    )
    start = remote_head(remote)
    clones = {}
    for member in ("ann", "ben"):
        clone = tmp_path / f"{member}-clone"
        git_as(member, tmp_path, "clone", "-q", str(remote), str(clone))
        for name, value in (
            ("gpg.format", "ssh"),
            ("user.signingkey", str(keys[member])),
            ("commit.gpgsign", "true"),
        ):
            git_as(member, clone, "config", name, value)
        clones[member] = clone

    def as_member(member: str) -> None:
        for key, value in zip(("NAME", "EMAIL"), MEMBERS[member], strict=True):
            monkeypatch.setenv(f"GIT_AUTHOR_{key}", value)
            monkeypatch.setenv(f"GIT_COMMITTER_{key}", value)

    as_member("ann")
    assert run("-w", str(clones["ann"]), "client", "add", "Ann Co").code == 0
    assert run("-w", str(clones["ann"]), "sync").code == 0
    as_member("ben")
    assert run("-w", str(clones["ben"]), "client", "add", "Ben Co").code == 0
    result = run("-w", str(clones["ben"]), "sync")
    assert result.code == 0, result.err
    merge = remote_head(remote)
    parents = git_as("ben", clones["ben"], "rev-list", "--parents", "-n", "1", merge).stdout.split()
    assert len(parents) == 3  # a merge commit, made by tcrm sync, signed with ben's key
    result = run("verify", "--repo", str(remote), f"{start}..{merge}")
    assert result.code == 0, result.out
    assert "3 commits verified" in result.err  # require_signed: all three are signed
