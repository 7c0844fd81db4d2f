"""``tcrm verify OLD..NEW``: every commit of a push judged against the access policy.

Each commit is judged against the policy (``access:`` of ``tcrm.yaml``) and the team *as
they stood in its first parent*, so a commit that grants a right cannot use it, nor can a
later commit of the same push. A root commit is judged against the repository's HEAD (a
new history must not bring a policy of its own). A merge commit answers only for what
neither parent had: a file, or a field of a record, equal to one parent's is explained by
that parent's commits, which are judged as themselves. Then the workspace at NEW must pass
``tcrm check`` (open sync conflicts aside: a sync pushes them on purpose).

Every commit, file and email here arrives from a push: untrusted input. A record that
cannot be parsed is judged as a whole-file change, never skipped.
"""

from __future__ import annotations

import re
import shutil
import tempfile
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path, PurePosixPath
from typing import Any

from tcrm.errors import Problem, RuleError, TcrmError, UsageError
from tcrm.model.access import AccessPolicy, above
from tcrm.model.money import money_text
from tcrm.model.records import RECORD_TYPES
from tcrm.model.settings import Member, Settings
from tcrm.model.text import visible
from tcrm.store import links, yamlio
from tcrm.store.git import ZERO, RangeCommit, Repository
from tcrm.store.signing import ssh_signature_problem
from tcrm.store.workspace import SETTINGS_FILE, Workspace

OWNER_FIELDS = {"client": "owner", "deal": "owner", "task": "assignee", "activity": "author"}
"""The field that says whose a record is, per kind."""
REASSIGNABLE = ("client", "deal")
"""Kinds whose ``owner`` only ``change_owner`` may change."""
CLOSED = ("won", "lost")
_FOLDERS = {cls.FOLDER: kind for kind, cls in RECORD_TYPES.items()}
_SAFE_EMAIL = re.compile(r"^[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+$")


@dataclass(frozen=True, order=True)
class Violation:
    """One refused change: ``COMMIT AUTHOR RECORD: rule``."""

    commit: str
    author: str
    record: str
    rule: str

    def __str__(self) -> str:
        who = visible(self.author) if self.author else "(no author)"
        return f"{self.commit[:12]} {who} {visible(self.record)}: {visible(self.rule)}"


@dataclass
class VerifyReport:
    commits: int = 0
    violations: list[Violation] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.violations


@dataclass(frozen=True)
class RecordChange:
    """A record file a commit added, deleted or changed; ``fields`` lists the changed keys
    (for a merge, only those neither parent had)."""

    path: str
    kind: str
    old: dict[str, Any] | None
    new: dict[str, Any] | None
    fields: frozenset[str]


class AccessRefused(RuleError):
    """``tcrm sync`` would push commits the access policy refuses: nothing was pushed."""

    def __init__(self, violations: list[Violation], merged: bool) -> None:
        self.violations = violations
        lines = "\n".join(str(v) for v in violations)
        kept = " (the merge is committed here)" if merged else ""
        super().__init__(
            f"the access policy refuses {len(violations)} change(s); nothing was pushed{kept}; "
            f"see docs/access.md:\n{lines}"
        )


def refuse_outgoing(root: Path, remote_head: str | None, merged: bool) -> None:
    """Before ``tcrm sync`` pushes HEAD over ``remote_head``: the same judgement as the
    server's ``tcrm verify``, so a member learns before the server says no."""
    with Repository(root) as repo:
        head = repo.head()
        if head is None:
            return
        report = _Verifier(repo).run(remote_head or ZERO, head, check=True, ref=None)
    if not report.ok:
        raise AccessRefused(report.violations, merged)


def parse_range(text: str) -> tuple[str, str]:
    """``OLD..NEW`` -> ``(OLD, NEW)``; ``NEW`` alone means its parents are OLD."""
    old, sep, new = text.partition("..")
    if not sep:
        return "", text
    if not old or not new:
        raise UsageError(f"{text!r} is not a range: give OLD..NEW (two commits)")
    return old, new


def record_kind(path: str) -> str | None:
    """``client`` for ``clients/acme.yaml``, ``activity`` for ``activities/2026/x.yaml``."""
    parts = path.split("/")
    if not path.endswith(".yaml") or parts[-1].startswith(".") or {"", ".", ".."} & set(parts):
        return None
    kind = _FOLDERS.get(parts[0])
    expected = 3 if kind == "activity" else 2
    return kind if kind and len(parts) == expected else None


def is_data(path: str) -> bool:
    """Records and kb pages are data; every other file configures the workspace."""
    return record_kind(path) is not None or path.startswith("kb/")


def verify_range(
    repo_path: Path, old: str | None, new: str, *, check: bool = True, ref: str | None = None
) -> VerifyReport:
    """Judge the commits ``old..new`` (``old`` None or all zeros: a new branch, judged from
    where it leaves the repository's existing branches)."""
    with Repository(repo_path) as repo:
        return _Verifier(repo).run(old, new, check=check, ref=ref)


def verify_updates(repo_path: Path, lines: Iterable[str]) -> VerifyReport:
    """A pre-receive hook's stdin: one ``OLD NEW REF`` line per ref pushed."""
    updates = []
    for line in lines:
        parts = line.split()
        if not parts:
            continue
        if len(parts) != 3:
            raise UsageError(f"expected 'OLD NEW REF' on stdin, got '{visible(line.strip())}'")
        updates.append(parts)
    report = VerifyReport()
    with Repository(repo_path) as repo:
        verifier = _Verifier(repo)  # one for the push: deletes count over all its refs
        for old, new, ref in updates:
            one = verifier.run(old, new, check=True, ref=ref)
            report.commits += one.commits
            report.violations += one.violations
    return report


class _Verifier:
    def __init__(self, repo: Repository) -> None:
        self.repo = repo
        self._settings: dict[str, Settings | TcrmError | None] = {}
        self._files: dict[str, dict[str, str]] = {}
        self.deletes: Counter[str] = Counter()
        self.judged: set[str] = set()

    # --- the range ---------------------------------------------------------------------

    def run(self, old: str | None, new: str, *, check: bool, ref: str | None) -> VerifyReport:
        report = VerifyReport()
        old_id = self.repo.resolve(old) if old else None
        if new == ZERO:  # a branch deleted: only those who may change settings
            if old_id is not None:
                report.violations += self._deleted_branch(old_id, ref or "the branch")
            return report
        new_id = self.repo.resolve(new)
        assert new_id is not None
        if old == "":  # NEW alone: that one commit
            exclude = list(self.repo.commit(new_id).parents)
        elif old_id is None:
            exclude = [h for h in self.repo.branch_heads() if h != new_id]
        else:
            exclude = [old_id]
        walked = self.repo.walk(new_id, exclude)
        if old_id is not None and old != "" and not self.repo.is_ancestor(old_id, new_id):
            tip_is_new = any(c.id == new_id for c in walked)
            report.violations += self._rewrite(old_id, new_id, ref, tip_is_new)
        commits = [c for c in walked if c.id not in self.judged]
        self.judged.update(c.id for c in commits)  # a commit pushed to two refs: judged once
        report.commits = len(commits)
        for commit in commits:
            refused = self._judge(commit)
            if any(v.record == SETTINGS_FILE for v in refused):
                # a refused settings change grants nothing to the commits after it
                self._settings[commit.id] = self._settings_at(self._base(commit))
            report.violations += refused
        if check and commits:
            report.violations += self._check(new_id, self.repo.commit(new_id))
        return report

    def _deleted_branch(self, old_id: str, ref: str) -> list[Violation]:
        policy = self._policy(old_id)
        if policy is None or policy.may.change_settings is None:
            return []
        return [Violation(old_id, "", ref, "deleting a branch needs change_settings; refused")]

    def _rewrite(
        self, old_id: str, new_id: str, ref: str | None, tip_is_new: bool
    ) -> list[Violation]:
        """A push that is not a fast-forward drops commits the repository has: refused when
        a policy exists, unless the new tip is a commit of this push (so judged, and its
        signature checked when required) whose author may change settings. Moving a branch
        back to an old commit is refused: nothing says who asked for it."""
        policy = self._policy(old_id)
        if policy is None or policy.may.change_settings is None:
            return []
        tip = self.repo.commit(new_id)
        if tip_is_new and self._actor_allowed(old_id, tip, policy.may.change_settings):
            return []
        return [
            Violation(
                new_id,
                tip.email,
                ref or new_id[:12],
                f"rewrites history (not a fast-forward of {old_id[:12]}); only change_settings may",
            )
        ]

    def _actor_allowed(self, base: str, commit: RangeCommit, names: list[str]) -> bool:
        settings = self._settings_at(base)
        if not isinstance(settings, Settings) or settings.access is None:
            return True
        member = _member(settings, commit.email)
        return settings.access.allows(names, member.id if member else None)

    # --- settings as they stood --------------------------------------------------------

    def _files_of(self, commit_id: str) -> dict[str, str]:
        if commit_id not in self._files:
            self._files[commit_id] = self.repo.files(commit_id)
        return self._files[commit_id]

    def _settings_at(self, commit_id: str | None) -> Settings | TcrmError | None:
        if commit_id is None:
            return None
        if commit_id not in self._settings:
            blob = self._files_of(commit_id).get(SETTINGS_FILE)
            value: Settings | TcrmError | None = None
            if blob is not None:
                try:
                    data = yamlio.load_fast(self.repo.blob(blob), SETTINGS_FILE)
                    value = Settings.model_validate(data)
                except TcrmError as exc:
                    value = exc
                except ValueError as exc:  # pydantic's ValidationError is one
                    lines = [line.strip() for line in str(exc).splitlines()[1:3]]
                    value = TcrmError(": ".join(lines).split(" [type=")[0] or str(exc))
            self._settings[commit_id] = value
        return self._settings[commit_id]

    def _policy(self, commit_id: str | None) -> AccessPolicy | None:
        settings = self._settings_at(commit_id)
        return settings.access if isinstance(settings, Settings) else None

    # --- one commit --------------------------------------------------------------------

    def _base(self, commit: RangeCommit) -> str | None:
        """Whose policy judges a commit: its first parent's; the repository's HEAD for a
        root commit (a new history must not bring a policy of its own)."""
        return commit.parents[0] if commit.parents else self.repo.head()

    def _judge(self, commit: RangeCommit) -> list[Violation]:
        base = self._base(commit)
        settings = self._settings_at(base)
        if isinstance(settings, TcrmError):
            return [
                Violation(
                    commit.id,
                    commit.email,
                    SETTINGS_FILE,
                    f"the policy of its parent cannot be read ({settings}); refused",
                )
            ]
        if settings is None or settings.access is None:
            return []
        policy = settings.access
        member = _member(settings, commit.email)
        actor = member.id if member else None
        out: list[Violation] = []

        def refuse(record: str, rule: str) -> None:
            out.append(Violation(commit.id, commit.email, record, rule))

        if policy.require_signed:
            problem = self._signature_problem(commit, member)
            if problem:
                refuse("(commit)", f"require_signed: {problem}")
        settings_paths, records = self._changes(commit, base)
        if settings_paths and not policy.allows(policy.may.change_settings, actor):
            for path in settings_paths:
                refuse(path, f"change_settings: only {_names(policy.may.change_settings)} may")
        for change in records:
            self._judge_record(change, base, settings, policy, actor, refuse)
        return out

    def _signature_problem(self, commit: RangeCommit, member: Member | None) -> str | None:
        if commit.signature is None:
            return "the commit is not signed"
        if member is None or not member.signing_key:
            return f"{commit.email or 'its author'} is no team member with a signing_key"
        return ssh_signature_problem(
            commit.payload, commit.signature, member.id, member.signing_key
        )

    def _judge_record(
        self,
        change: RecordChange,
        base: str | None,
        settings: Settings,
        policy: AccessPolicy,
        actor: str | None,
        refuse: Any,
    ) -> None:
        may = policy.may
        old, new, kind = change.old, change.new, change.kind
        if new is None:
            if may.delete_records is not None and not policy.allows(
                may.delete_records.roles, actor
            ):
                refuse(change.path, f"delete_records: only {_names(may.delete_records.roles)} may")
            key = actor or "?"
            self.deletes[key] += 1
            limit = may.max_deletes_per_push
            if limit is not None and self.deletes[key] == limit + 1:
                refuse(
                    change.path,
                    f"max_deletes_per_push: more than {limit} records deleted in one push",
                )
            return
        owner_field = OWNER_FIELDS[kind]
        owner = _text(old.get(owner_field)) if old else None
        others = may.edit_others_records
        if (
            old is not None
            and others is not None
            and owner
            and owner != actor
            and change.fields
            and not policy.allows(others.roles, actor)
        ):
            refuse(
                change.path,
                f"edit_others_records: {owner}'s record; only {_names(others.roles)} may change it",
            )
        if (
            old is None
            and others is not None
            and others.others == "nothing"
            and kind in ("task", "activity")
            and not policy.allows(others.roles, actor)
        ):
            for linked in self._others_linked(new, base, actor):
                refuse(
                    change.path,
                    f"edit_others_records: links {linked}, not theirs; only "
                    f"{_names(others.roles)} may",
                )
        if (
            kind in REASSIGNABLE
            and old is not None
            and may.change_owner is not None
            and owner
            and "owner" in change.fields
            and _text(new.get("owner")) != owner
            and not policy.allows(may.change_owner, actor)
        ):
            refuse(
                change.path,
                f"change_owner: {owner} -> {_text(new.get('owner')) or 'nobody'}; only "
                f"{_names(may.change_owner)} may",
            )
        rule = may.close_deals_above
        if kind == "deal" and rule is not None and _closes(old, new, change.fields):
            amount = _amount(new.get("amount"))
            currency = _text(new.get("currency")) or settings.currency
            if (
                amount is not None
                and above(rule, amount, currency, settings.currency, settings.rates)
                and not policy.allows(rule.roles, actor)
            ):
                threshold = money_text(rule.amount, rule.currency or settings.currency)
                refuse(
                    change.path,
                    f"close_deals_above: {new.get('status')} at {money_text(amount, currency)} "
                    f"(above {threshold}); only {_names(rule.roles)} may",
                )

    def _others_linked(self, new: dict[str, Any], base: str | None, actor: str | None) -> list[str]:
        files = self._files_of(base) if base else {}
        out = []
        for key, folder in (("clients", "clients"), ("deals", "deals")):
            ids = new.get(key)
            for record_id in ids if isinstance(ids, list) else []:
                path = f"{folder}/{record_id}.yaml"
                if path not in files:
                    continue
                data = self._parse(files[path], path)
                owner = _text(data.get("owner")) if data else None
                if owner and owner != actor:
                    out.append(f"{path} ({owner}'s)")
        return out

    # --- what a commit changed ---------------------------------------------------------

    def _changes(
        self, commit: RangeCommit, base: str | None
    ) -> tuple[list[str], list[RecordChange]]:
        mine = self._files_of(commit.id)
        first = self._files_of(base) if base else {}
        others = [self._files_of(p) for p in commit.parents[1:]]
        paths = sorted(p for p in set(first) | set(mine) if first.get(p) != mine.get(p))
        # a merge answers only for what no parent had
        paths = [p for p in paths if all(o.get(p) != mine.get(p) for o in others)]
        settings_paths = [p for p in paths if not is_data(p)]
        records: dict[tuple[str, str], tuple[str | None, str | None]] = {}
        for path in paths:
            kind = record_kind(path)
            if kind is None:
                continue
            key = (kind, PurePosixPath(path).stem)
            gone, came = records.get(key, (None, None))
            if path in first and path not in mine:
                gone = path
            elif path in mine and path not in first:
                came = path
            else:
                gone = came = path
            records[key] = (gone, came)
        changes = []
        for (kind, _id), (gone, came) in sorted(records.items()):
            old = self._parse(first[gone], gone) if gone else None
            new = self._parse(mine[came], came) if came else None
            if gone and old is None:
                old = {}
            if came and new is None:
                new = {}
            fields = _changed_fields(old, new)
            if others and new is not None:
                parent_values = [
                    self._parse(o[came], came) if came and came in o else None for o in others
                ]
                # a sync's merge records conflicts itself; the values stay one side's
                fields = frozenset(
                    f
                    for f in fields - {"conflicts"}
                    if not any(pv is not None and pv.get(f) == new.get(f) for pv in parent_values)
                )
                if not fields:
                    continue
            changes.append(RecordChange(came or gone or "", kind, old, new, fields))
        return settings_paths, changes

    def _parse(self, blob: str, path: str) -> dict[str, Any] | None:
        """A record's data; None when it cannot be read (judged as a whole-file change)."""
        try:
            data = yamlio.load_fast(self.repo.blob(blob), path)
        except TcrmError:
            return None
        return data if isinstance(data, dict) else None

    # --- the workspace at NEW ----------------------------------------------------------

    def _check(self, new_id: str, tip: RangeCommit) -> list[Violation]:
        from tcrm.services.check import check_workspace
        from tcrm.services.conflicts import conflict_problems

        files = self._files_of(new_id)
        out: list[Violation] = []

        def refuse(record: str, rule: str) -> None:
            out.append(Violation(new_id, tip.email, record, rule))

        for path in self.repo.links(new_id):
            if links.is_guarded(path):
                refuse(path, f"check: {links.problem(path)}")
        if SETTINGS_FILE not in files:
            return out
        wanted = [p for p in files if p == SETTINGS_FILE or record_kind(p) is not None]
        root = Path(tempfile.mkdtemp(prefix="tcrm-verify-"))
        try:
            conflicts: set[Problem] = set()
            for path, data in self.repo.blobs(files, wanted):
                target = root / path
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(data)
                if b"conflicts:" in data:
                    text = data.decode("utf-8", "replace")
                    conflicts.update(conflict_problems(path, text, PurePosixPath(path).stem))
            report = check_workspace(Workspace(root))
        finally:
            shutil.rmtree(root, ignore_errors=True)
        for problem in report.problems:
            if problem in conflicts:
                continue
            where = f"{problem.path}:{problem.line}" if problem.line else problem.path
            refuse(where or SETTINGS_FILE, f"check: {problem.message}")
        return out


def _member(settings: Settings, email: str) -> Member | None:
    """The team member whose email is the commit's author email (case aside)."""
    wanted = email.strip().lower()
    if not wanted:
        return None
    for member in settings.team:
        if member.email and member.email.strip().lower() == wanted:
            return member
    return None


def allowed_signers(settings: Settings) -> str:
    """``gpg.ssh.allowedSignersFile`` for git, derived from the team list: members with an
    email (a plain address: the file's principals are patterns) and a signing_key."""
    from tcrm.store.signing import allowed_signers as lines

    return lines(
        [
            (m.email.strip(), m.signing_key)
            for m in settings.team
            if m.email and m.signing_key and _SAFE_EMAIL.match(m.email.strip())
        ]
    )


def allowed_signers_at(repo_path: Path, rev: str = "HEAD") -> str:
    """The allowed-signers file of the team list at ``rev`` (HEAD)."""
    with Repository(repo_path) as repo:
        verifier = _Verifier(repo)
        settings = verifier._settings_at(repo.resolve(rev))
    if isinstance(settings, TcrmError):
        raise settings
    return allowed_signers(settings) if settings else ""


def _changed_fields(old: dict[str, Any] | None, new: dict[str, Any] | None) -> frozenset[str]:
    old, new = old or {}, new or {}
    return frozenset(str(k) for k in set(old) | set(new) if old.get(k) != new.get(k))


def _closes(old: dict[str, Any] | None, new: dict[str, Any], fields: frozenset[str]) -> bool:
    """The deal is won or lost now, and this change closed it or changed its amount."""
    if _text(new.get("status")) not in CLOSED:
        return False
    if old is None or _text(old.get("status")) != _text(new.get("status")):
        return True
    return bool(fields & {"amount", "currency", "status"})


def _amount(value: Any) -> Decimal | None:
    from tcrm.model.types import parse_amount

    if value is None:
        return None
    try:
        return parse_amount(value)
    except (ValueError, TypeError):
        return None


def _text(value: Any) -> str | None:
    return str(value).strip() if value is not None and str(value).strip() else None


def _names(names: list[str] | None) -> str:
    return ", ".join(names) if names else "nobody"


__all__ = [
    "AccessRefused",
    "RecordChange",
    "VerifyReport",
    "Violation",
    "allowed_signers",
    "allowed_signers_at",
    "parse_range",
    "verify_range",
    "verify_updates",
]
