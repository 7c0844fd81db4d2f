"""Creating a workspace: ``tcrm init``."""

from __future__ import annotations

import shutil
from importlib import resources
from pathlib import Path

from tcrm.errors import ValidationError, WorkspaceError
from tcrm.store import git
from tcrm.store.workspace import LOCAL_DIR, SETTINGS_FILE, Workspace

GITIGNORE = f"# tcrm's local cache, index and lock: never shared\n{LOCAL_DIR}/\n"
COPIED = ("tcrm.yaml", "clients", "deals", "tasks", "activities", "kb")


def default_settings(name: str | None = None) -> str:
    text = resources.files("tcrm.services").joinpath("templates/tcrm.yaml").read_text("utf-8")
    if name:
        from tcrm.store.yamlio import dump_fast

        text = text.replace("name: My company\n", dump_fast({"name": name}), 1)
    return text


def init_workspace(
    path: Path, *, name: str | None = None, template: Path | None = None
) -> Workspace:
    """A new workspace at ``path``: settings, ``.gitignore``, a git repo and one commit.

    With ``template``, settings, records and kb pages are copied from that workspace.
    Refuses to touch a directory that already holds a workspace.
    """
    root = path.expanduser().resolve()
    if (root / SETTINGS_FILE).exists():
        raise WorkspaceError(f"{root} is already a tcrm workspace; nothing was changed")
    if root.exists() and not root.is_dir():
        raise WorkspaceError(f"{root} exists and is not a directory")
    if template is not None:
        template = template.expanduser().resolve()
        if not (template / SETTINGS_FILE).is_file():
            raise WorkspaceError(f"{template} is not a tcrm workspace (no {SETTINGS_FILE})")
        from tcrm.services.check import check_workspace

        report = check_workspace(Workspace(template))
        if not report.ok:
            raise ValidationError(report.problems)
    created = not root.exists()
    root.mkdir(parents=True, exist_ok=True)
    try:
        if template is not None:
            for entry in COPIED:
                source = template / entry
                if source.is_dir():
                    shutil.copytree(source, root / entry, dirs_exist_ok=False)
                elif source.is_file():
                    shutil.copy2(source, root / entry)
        else:
            (root / SETTINGS_FILE).write_text(default_settings(name), encoding="utf-8")
        gitignore = root / ".gitignore"
        existing = gitignore.read_text(encoding="utf-8") if gitignore.exists() else ""
        if f"{LOCAL_DIR}/" not in existing.splitlines():
            gitignore.write_text(existing + GITIGNORE, encoding="utf-8")
        if not git.is_repo(root):
            git.init(root)
        from tcrm.services.merging import install_merge_driver

        install_merge_driver(root)  # so a plain `git pull` merges records field by field
        paths = [
            p.relative_to(root).as_posix()
            for p in sorted(root.rglob("*"))
            if p.is_file()
            and ".git" not in p.relative_to(root).parts
            and LOCAL_DIR not in p.relative_to(root).parts
        ]
        origin = f" from {template.name}" if template else ""
        ws = Workspace(root)
        ws.settings  # noqa: B018 - validate before committing
        git.commit(root, paths, f"init: tcrm workspace{origin}")
    except BaseException:
        if created:
            shutil.rmtree(root, ignore_errors=True)
        raise
    return ws


def first_member(ws: Workspace) -> tuple[str, str, str | None]:
    """``(id, name, email)`` for the person setting up: from their git identity, so their
    commits are linked to their member entry from the start."""
    from tcrm.model.types import slugify

    who = git.identity(ws.root)
    name = who.name if who.configured and who.name else "Your Name"
    member_id = (slugify(name.split()[0]) if name != "Your Name" else "") or "me"
    return member_id, name, who.email if who.configured and who.email else None
