"""A team workspace with an access policy, changed by its members through the real git CLI."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tcrm.services.setup import init_workspace
from tests.clitools import Result, run

MEMBERS = {
    "ann": ("Ann Becker", "ann@example.com"),
    "ben": ("Ben Okafor", "ben@example.com"),
    "chloe": ("Chloe Martin", "chloe@example.com"),
}

ISSUE_POLICY = """\
access:
  roles:
    admin: [ann]
    sales: [ben, chloe]
  may:
    change_settings: [admin]     # tcrm.yaml, the policy included
    delete_records: [admin]
    close_deals_above: {amount: 50000, roles: [admin]}
"""
"""The example of issue 21, verbatim."""


def team_yaml(keys: dict[str, str] | None = None) -> str:
    lines = ["team:"]
    for member_id, (name, email) in MEMBERS.items():
        lines += [f"- id: {member_id}", f"  name: {name}", f"  email: {email}"]
        if keys and member_id in keys:
            lines.append(f"  signing_key: {keys[member_id]}")
    return "\n".join(lines) + "\n"


def identity_env(member: str) -> dict[str, str]:
    name, email = MEMBERS[member]
    env = {**os.environ}
    for role in ("AUTHOR", "COMMITTER"):
        env[f"GIT_{role}_NAME"] = name
        env[f"GIT_{role}_EMAIL"] = email
    return env


def git_as(
    member: str, root: Path, *args: str, check: bool = True
) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(
        ["git", "-C", str(root), *args],
        capture_output=True,
        text=True,
        env=identity_env(member),
        check=False,
        timeout=120,
    )
    if check and result.returncode != 0:
        raise AssertionError(f"git {' '.join(args)} failed:\n{result.stdout}{result.stderr}")
    return result


def change(root: Path, member: str, message: str, files: dict[str, str | None], *sign: str) -> str:
    """Write (or, for None, delete) files and commit them as ``member`` with plain git;
    ``sign`` adds git options such as ``-c gpg.format=ssh -c user.signingkey=KEY`` + ``-S``."""
    for rel, text in files.items():
        path = root / rel
        if text is None:
            path.unlink()
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
    git_as(member, root, "add", "-A")
    options = [s for s in sign if s != "-S"]
    flags = ["-S"] if "-S" in sign else []
    git_as(member, root, *options, "commit", "-q", *flags, "-m", message)
    return git_as(member, root, "rev-parse", "HEAD").stdout.strip()


def make_team_workspace(
    path: Path, policy: str = ISSUE_POLICY, keys: dict[str, str] | None = None
) -> Path:
    """``tcrm init``, then ann writes the team, the policy and two records (hers and ben's)."""
    root = init_workspace(path, name="Team Co").root
    settings = (root / "tcrm.yaml").read_text(encoding="utf-8")
    settings = settings.replace("team: []\n", team_yaml(keys)) + "\n" + policy
    change(
        root,
        "ann",
        "team and access policy",
        {
            "tcrm.yaml": settings,
            "clients/acme.yaml": "name: Acme GmbH\nowner: ann\n",
            "clients/bolt.yaml": "name: Bolt Ltd\nowner: ben\n",
            "deals/acme-big.yaml": deal("acme", 60000, "ann"),
            "deals/bolt-small.yaml": deal("bolt", 40000, "ben"),
        },
    )
    return root


def deal(client: str, amount: int, owner: str, status: str = "open", currency: str = "") -> str:
    text = (
        f"title: Deal of {client}\nclient: {client}\npipeline: sales\nstage: lead\n"
        f"status: {status}\namount: {amount}\nowner: {owner}\n"
    )
    if currency:
        text += f"currency: {currency}\n"
    if status != "open":
        text += "closed: 2026-11-30\n"
    if status == "lost":
        text += "lost_reason: price\n"
    return text


def head(root: Path) -> str:
    return subprocess.run(
        ["git", "-C", str(root), "rev-parse", "HEAD"], capture_output=True, text=True, check=True
    ).stdout.strip()


def verify(root: Path, *args: str) -> Result:
    return run("--workspace", str(root), "verify", *args)


def tcrm_wrapper(directory: Path) -> Path:
    """A ``tcrm`` executable running this Python's tcrm: what a hook's TCRM points at."""
    directory.mkdir(parents=True, exist_ok=True)
    wrapper = directory / "tcrm"
    wrapper.write_text(f'#!/bin/sh\nexec "{sys.executable}" -m tcrm "$@"\n')
    wrapper.chmod(0o755)
    return wrapper
