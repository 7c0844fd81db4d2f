"""The access policy and ``tcrm verify``: every rule allowed and refused, on real commits
made by three identities through the git CLI (issue 21)."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest
from pydantic import ValidationError

from tcrm.model.settings import Settings
from tcrm.store.yamlio import load_fast
from tests.accesstools import (
    ISSUE_POLICY,
    change,
    deal,
    git_as,
    head,
    make_team_workspace,
    team_yaml,
    verify,
)
from tests.clitools import run

ZERO = "0" * 40
PIPELINES = (
    "pipelines:\n- id: sales\n  name: Sales\n  stages:\n"
    "  - {id: lead, name: Lead, probability: 10}\n"
)


def settings_with(policy: str, team: str | None = None) -> Settings:
    text = "name: T\n" + (team or team_yaml()) + PIPELINES + policy
    return Settings.model_validate(load_fast(text))


def lines(result) -> list[str]:
    return [line for line in result.out.splitlines() if line.strip()]


def with_policy(tmp_path: Path, may: str, extra: str = "") -> Path:
    policy = "access:\n  roles:\n    admin: [ann]\n    sales: [ben, chloe]\n  may:\n" + may + extra
    return make_team_workspace(tmp_path / "ws", policy)


def settings_text(root: Path) -> str:
    return (root / "tcrm.yaml").read_text(encoding="utf-8")


# --- the policy in tcrm.yaml ----------------------------------------------------------------


def test_the_issue_example_loads_verbatim() -> None:
    access = settings_with(ISSUE_POLICY).access
    assert access is not None
    assert access.roles == {"admin": ["ann"], "sales": ["ben", "chloe"]}
    assert access.may.change_settings == ["admin"]
    assert access.may.delete_records is not None and access.may.delete_records.roles == ["admin"]
    assert access.may.close_deals_above is not None
    assert str(access.may.close_deals_above.amount) == "50000"
    assert access.allows(["admin"], "ann") and not access.allows(["admin"], "ben")
    assert not access.allows(["admin"], None)  # no member: only an absent rule allows


@pytest.mark.parametrize(
    ("policy", "message"),
    [
        ("access:\n  may:\n    delete_record: [admin]\n", "delete_record"),
        ("access:\n  roles:\n    admin: [zoe]\n", "'zoe', not a team member"),
        ("access:\n  may:\n    change_settings: [boss]\n", "'boss', neither a role"),
        ("access:\n  may:\n    close_deals_above: {amount: -5, roles: []}\n", "amount"),
        ("access:\n  whatever: 1\n", "whatever"),
    ],
)
def test_a_wrong_policy_is_refused_naming_the_problem(policy, message) -> None:
    with pytest.raises(ValidationError) as caught:
        settings_with(policy)
    assert message in str(caught.value)


@pytest.mark.parametrize(
    "key",
    [
        "ssh-ed25519",
        "ssh-ed25519 AAAA\nssh-ed25519 BBBB",
        "ssh-dss AAAAB3NzaC1kc3M=",
        "ssh-ed25519 AAAA bad\x1b[31m",
    ],
)
def test_a_signing_key_is_one_openssh_public_key_line(key) -> None:
    team = (
        "team:\n- id: ann\n  name: Ann\n  email: ann@example.com\n  signing_key: "
        + repr(key).replace("'", '"')
        + "\n"
    )
    with pytest.raises(ValidationError, match="signing_key"):
        settings_with("", team)


def test_a_signing_key_keeps_type_and_key_without_the_comment() -> None:
    team = "team:\n- id: ann\n  name: Ann\n  signing_key: ssh-ed25519 AAAAC3Nz ann@laptop\n"
    assert settings_with("", team).team[0].signing_key == "ssh-ed25519 AAAAC3Nz"


# --- no policy, ranges --------------------------------------------------------------------


def test_without_a_policy_everything_is_allowed(tmp_path) -> None:
    root = make_team_workspace(tmp_path / "ws", policy="")
    start = head(root)
    change(
        root,
        "ben",
        "ben renames the workspace",
        {"tcrm.yaml": settings_text(root).replace("Team Co", "Ben Co")},
    )
    change(root, "ben", "ben deletes", {"clients/acme.yaml": None, "deals/acme-big.yaml": None})
    result = verify(root, f"{start}..HEAD")
    assert result.code == 0, result.out
    assert "2 commits verified" in result.err


def test_an_empty_range_verifies_nothing(tmp_path) -> None:
    root = with_policy(tmp_path, "    change_settings: [admin]\n")
    result = verify(root, "HEAD..HEAD")
    assert (result.code, lines(result)) == (0, [])
    assert "0 commits" in result.err


def test_a_bad_range_is_one_clear_error(tmp_path) -> None:
    root = with_policy(tmp_path, "    change_settings: [admin]\n")
    result = verify(root, "nope..HEAD")
    assert result.code == 2
    assert result.err.strip() == "tcrm: error: 'nope' names no commit of this repository"
    assert verify(root, "..HEAD").code == 2
    assert verify(root).code == 2


def test_a_new_branch_is_judged_from_where_it_leaves_the_others(tmp_path) -> None:
    root = with_policy(tmp_path, "    delete_records: [admin]\n")
    git_as("ben", root, "checkout", "-q", "-b", "ben-work")
    change(root, "ben", "ben deletes", {"clients/bolt.yaml": None, "deals/bolt-small.yaml": None})
    git_as("ben", root, "branch", "-q", "-f", "main", "HEAD~1")  # main: without ben's commit
    result = verify(root, f"{ZERO}..HEAD", "--no-check")
    assert result.code == 1
    assert len(lines(result)) == 2 and "1 commit" in result.err


# --- each rule, allowed and refused -----------------------------------------------------------


def test_change_settings(tmp_path) -> None:
    root = with_policy(tmp_path, "    change_settings: [admin]\n")
    start = head(root)
    renamed = settings_text(root).replace("Team Co", "Ben Co")
    commit = change(root, "ben", "ben renames", {"tcrm.yaml": renamed})
    result = verify(root, f"{start}..HEAD")
    assert result.code == 1
    assert lines(result) == [
        f"{commit[:12]} ben@example.com tcrm.yaml: change_settings: only admin may"
    ]
    git_as("ann", root, "reset", "-q", "--hard", start)
    change(root, "ann", "ann renames", {"tcrm.yaml": renamed})
    assert verify(root, f"{start}..HEAD").code == 0


def test_change_settings_covers_every_file_outside_records_and_kb(tmp_path) -> None:
    root = with_policy(tmp_path, "    change_settings: [admin]\n")
    start = head(root)
    change(root, "ben", "ben edits kb", {"kb/pitch.md": "# Pitch\n"})
    assert verify(root, f"{start}..HEAD").code == 0
    change(root, "ben", "ben adds attributes", {".gitattributes": "*.yaml -merge\n"})
    result = verify(root, f"{start}..HEAD")
    assert result.code == 1
    assert [line.split(" ", 2)[2] for line in lines(result)] == [
        ".gitattributes: change_settings: only admin may"
    ]


def test_delete_records(tmp_path) -> None:
    root = with_policy(tmp_path, "    delete_records: [admin]\n")
    start = head(root)
    commit = change(root, "ben", "ben deletes", {"deals/bolt-small.yaml": None})
    result = verify(root, f"{start}..HEAD")
    assert lines(result) == [
        f"{commit[:12]} ben@example.com deals/bolt-small.yaml: delete_records: only admin may"
    ]
    git_as("ann", root, "reset", "-q", "--hard", start)
    change(root, "ann", "ann deletes", {"deals/bolt-small.yaml": None})
    assert verify(root, f"{start}..HEAD").code == 0


def test_a_mass_delete_over_the_limit_is_refused_even_for_an_admin(tmp_path) -> None:
    root = with_policy(tmp_path, "    delete_records: [admin]\n    max_deletes_per_push: 2\n")
    start = head(root)
    change(
        root, "ann", "ann deletes two", {"deals/acme-big.yaml": None, "deals/bolt-small.yaml": None}
    )
    assert verify(root, f"{start}..HEAD").code == 0  # at the limit
    third = change(root, "ann", "and a third", {"clients/bolt.yaml": None})
    result = verify(root, f"{start}..HEAD")
    assert result.code == 1
    assert lines(result) == [
        f"{third[:12]} ann@example.com clients/bolt.yaml: max_deletes_per_push: more than 2 "
        "records deleted in one push"
    ]


def test_close_deals_above(tmp_path) -> None:
    root = with_policy(tmp_path, "    close_deals_above: {amount: 50000, roles: [admin]}\n")
    start = head(root)
    commit = change(
        root, "ben", "ben wins big", {"deals/acme-big.yaml": deal("acme", 60000, "ann", "won")}
    )
    result = verify(root, f"{start}..HEAD")
    assert lines(result) == [
        f"{commit[:12]} ben@example.com deals/acme-big.yaml: close_deals_above: won at 60,000 EUR "
        "(above 50,000 EUR); only admin may"
    ]
    git_as("ann", root, "reset", "-q", "--hard", start)
    change(
        root,
        "ben",
        "ben loses small",
        {"deals/bolt-small.yaml": deal("bolt", 40000, "ben", "lost")},
    )
    change(root, "ann", "ann wins big", {"deals/acme-big.yaml": deal("acme", 60000, "ann", "won")})
    assert verify(root, f"{start}..HEAD").code == 0
    # raising the amount of a deal already won is closing it above the limit
    change(root, "ben", "ben raises", {"deals/bolt-small.yaml": deal("bolt", 90000, "ben", "lost")})
    assert verify(root, f"{start}..HEAD").code == 1


@pytest.mark.parametrize(
    ("rates", "amount", "currency", "refused"),
    [
        ("rates: {USD: 0.5}\n", 90000, "USD", False),  # 45,000 EUR
        ("rates: {USD: 0.9}\n", 60000, "USD", True),  # 54,000 EUR
        ("", 60000, "USD", True),  # no rate: cannot be compared, so the role is needed
    ],
)
def test_close_deals_above_compares_in_the_workspace_currency(
    tmp_path, rates, amount, currency, refused
) -> None:
    root = with_policy(tmp_path, "    close_deals_above: {amount: 50000, roles: [admin]}\n")
    if rates:
        change(root, "ann", "rates", {"tcrm.yaml": settings_text(root) + rates})
    start = head(root)
    change(
        root,
        "ben",
        "ben wins",
        {"deals/bolt-small.yaml": deal("bolt", amount, "ben", "won", currency)},
    )
    assert verify(root, f"{start}..HEAD").code == (1 if refused else 0)


def test_close_deals_above_a_threshold_in_its_own_currency(tmp_path) -> None:
    rule = "    close_deals_above: {amount: 50000, currency: USD, roles: [admin]}\n"
    root = with_policy(tmp_path, rule)
    start = head(root)
    change(
        root, "ben", "ben wins", {"deals/bolt-small.yaml": deal("bolt", 45000, "ben", "won", "USD")}
    )
    assert verify(root, f"{start}..HEAD").code == 0
    change(
        root,
        "ben",
        "ben wins more",
        {"deals/acme-big.yaml": deal("acme", 55000, "ann", "won", "USD")},
    )
    assert "above 50,000 USD" in verify(root, f"{start}..HEAD").out


def test_change_owner(tmp_path) -> None:
    root = with_policy(tmp_path, "    change_owner: [admin]\n")
    start = head(root)
    commit = change(
        root, "ben", "ben takes acme", {"clients/acme.yaml": "name: Acme GmbH\nowner: ben\n"}
    )
    result = verify(root, f"{start}..HEAD")
    assert lines(result) == [
        f"{commit[:12]} ben@example.com clients/acme.yaml: change_owner: ann -> ben; only admin may"
    ]
    git_as("ann", root, "reset", "-q", "--hard", start)
    change(
        root,
        "ann",
        "ann gives acme to chloe",
        {"clients/acme.yaml": "name: Acme GmbH\nowner: chloe\n"},
    )
    change(
        root, "ben", "ben edits his own deal", {"deals/bolt-small.yaml": deal("bolt", 45000, "ben")}
    )
    assert verify(root, f"{start}..HEAD").code == 0


def test_edit_others_records_activities_only(tmp_path) -> None:
    root = with_policy(
        tmp_path, "    edit_others_records: {roles: [admin], others: activities_only}\n"
    )
    start = head(root)
    activity = (
        "kind: call\nat: 2026-11-30T10:00:00+00:00\nclients: [acme]\nauthor: ben\nsummary: asked\n"
    )
    change(root, "ben", "ben logs a call on acme", {"activities/2026/a1.yaml": activity})
    change(
        root,
        "ben",
        "ben edits his own client",
        {"clients/bolt.yaml": "name: Bolt Ltd\nowner: ben\nnotes: x\n"},
    )
    change(root, "ann", "ann edits ben's client", {"clients/bolt.yaml": "name: Bolt\nowner: ben\n"})
    assert verify(root, f"{start}..HEAD").code == 0
    commit = change(
        root, "ben", "ben edits acme", {"clients/acme.yaml": "name: Acme AG\nowner: ann\n"}
    )
    result = verify(root, f"{start}..HEAD")
    assert lines(result) == [
        f"{commit[:12]} ben@example.com clients/acme.yaml: edit_others_records: ann's record; "
        "only admin may change it"
    ]


def test_edit_others_records_nothing(tmp_path) -> None:
    root = with_policy(tmp_path, "    edit_others_records: {roles: [admin], others: nothing}\n")
    start = head(root)
    activity = (
        "kind: call\nat: 2026-11-30T10:00:00+00:00\nclients: [acme]\nauthor: ben\nsummary: asked\n"
    )
    commit = change(root, "ben", "ben logs a call on acme", {"activities/2026/a1.yaml": activity})
    result = verify(root, f"{start}..HEAD")
    assert lines(result) == [
        f"{commit[:12]} ben@example.com activities/2026/a1.yaml: edit_others_records: links "
        "clients/acme.yaml (ann's), not theirs; only admin may"
    ]
    git_as("ann", root, "reset", "-q", "--hard", start)
    own = activity.replace("[acme]", "[bolt]")
    change(root, "ben", "ben logs a call on bolt", {"activities/2026/a1.yaml": own})
    assert verify(root, f"{start}..HEAD").code == 0


def test_the_short_form_of_edit_others_records_is_a_list_of_roles(tmp_path) -> None:
    access = settings_with(
        "access:\n  roles: {admin: [ann]}\n  may:\n    edit_others_records: [admin]\n"
    ).access
    assert access is not None and access.may.edit_others_records is not None
    assert access.may.edit_others_records.others == "activities_only"


# --- nobody grants themselves a right -------------------------------------------------------


def test_a_right_granted_in_a_push_cannot_be_used_in_it(tmp_path) -> None:
    root = with_policy(tmp_path, "    change_settings: [admin]\n    delete_records: [admin]\n")
    start = head(root)
    granted = settings_text(root).replace("admin: [ann]", "admin: [ann, ben]")
    grant = change(root, "ben", "ben makes himself admin", {"tcrm.yaml": granted})
    use = change(
        root, "ben", "ben deletes acme", {"clients/acme.yaml": None, "deals/acme-big.yaml": None}
    )
    result = verify(root, f"{start}..HEAD", "--no-check")
    assert lines(result) == [
        f"{grant[:12]} ben@example.com tcrm.yaml: change_settings: only admin may",
        f"{use[:12]} ben@example.com clients/acme.yaml: delete_records: only admin may",
        f"{use[:12]} ben@example.com deals/acme-big.yaml: delete_records: only admin may",
    ]


def test_a_policy_loosened_by_an_admin_applies_from_the_next_commit(tmp_path) -> None:
    root = with_policy(tmp_path, "    delete_records: [admin]\n")
    start = head(root)
    loosened = settings_text(root).replace(
        "delete_records: [admin]", "delete_records: [admin, sales]"
    )
    change(root, "ann", "sales may delete", {"tcrm.yaml": loosened})
    change(root, "ben", "ben deletes", {"deals/bolt-small.yaml": None})
    assert verify(root, f"{start}..HEAD").code == 0


# --- merges -----------------------------------------------------------------------------------


def test_a_merge_answers_only_for_what_neither_parent_had(tmp_path) -> None:
    root = with_policy(tmp_path, "    change_settings: [admin]\n    delete_records: [admin]\n")
    start = head(root)
    change(
        root, "ann", "ann renames", {"tcrm.yaml": settings_text(root).replace("Team Co", "Ann Co")}
    )
    git_as("ben", root, "checkout", "-q", "-b", "ben", start)
    change(root, "ben", "ben's deal", {"deals/bolt-small.yaml": deal("bolt", 41000, "ben")})
    git_as("ben", root, "merge", "-q", "--no-edit", "main")
    assert verify(root, f"{start}..HEAD").code == 0  # ann's change is ann's, and allowed
    # a merge that brings in a change of its own (an "evil merge") answers for it
    git_as("ben", root, "reset", "-q", "--hard", "HEAD~1")
    git_as("ben", root, "merge", "-q", "--no-commit", "main")
    (root / "clients/acme.yaml").unlink()
    git_as("ben", root, "add", "-A")
    git_as("ben", root, "commit", "-q", "--no-edit")
    result = verify(root, f"{start}..HEAD", "--no-check")
    assert [line.split(" ", 1)[1] for line in lines(result)] == [
        "ben@example.com clients/acme.yaml: delete_records: only admin may"
    ]


# --- the workspace at NEW -----------------------------------------------------------------------


def test_the_workspace_at_new_must_pass_check(tmp_path) -> None:
    root = make_team_workspace(tmp_path / "ws", policy="")
    start = head(root)
    commit = change(
        root, "ben", "ben breaks a deal", {"deals/bolt-small.yaml": deal("ghost", 1, "ben")}
    )
    result = verify(root, f"{start}..HEAD")
    assert result.code == 1
    assert lines(result) == [
        f"{commit[:12]} ben@example.com deals/bolt-small.yaml:2: check: client: unknown client "
        "'ghost'"
    ]
    assert verify(root, f"{start}..HEAD", "--no-check").code == 0


def test_verify_json(tmp_path) -> None:
    import json

    root = with_policy(tmp_path, "    delete_records: [admin]\n")
    start = head(root)
    commit = change(root, "chloe", "chloe deletes", {"deals/bolt-small.yaml": None})
    data = json.loads(verify(root, f"{start}..HEAD", "--json").out)
    assert data == {
        "ok": False,
        "commits": 1,
        "violations": [
            {
                "commit": commit,
                "author": "chloe@example.com",
                "record": "deals/bolt-small.yaml",
                "rule": "delete_records: only admin may",
            }
        ],
    }


def test_hostile_paths_and_emails_are_printed_escaped(tmp_path) -> None:
    root = with_policy(tmp_path, "    change_settings: [admin]\n")
    start = head(root)
    change(root, "ben", "odd", {"notes\x1b[2J.txt": "x\n"})
    result = verify(root, f"{start}..HEAD")
    assert result.code == 1
    assert "\x1b" not in result.out
    assert "\\x1b[2J" in result.out or "\\e[2J" in result.out or "␛" in result.out


def test_an_author_who_is_no_member_is_refused_by_any_rule(tmp_path) -> None:
    root = with_policy(tmp_path, "    delete_records: [admin, sales]\n")
    start = head(root)
    (root / "deals/bolt-small.yaml").unlink()
    env_args = ["-c", "user.name=Mallory", "-c", "user.email=mallory@example.com"]
    subprocess.run(["git", "-C", str(root), "add", "-A"], check=True)
    subprocess.run(
        ["git", "-C", str(root), *env_args, "commit", "-q", "-m", "who?"],
        check=True,
        env={k: v for k, v in os.environ.items() if not k.startswith("GIT_")},
    )
    result = verify(root, f"{start}..HEAD")
    assert "mallory@example.com deals/bolt-small.yaml: delete_records" in result.out


# --- the hook's input -----------------------------------------------------------------------


def test_pre_receive_input_that_is_not_ref_lines_is_one_clear_error(tmp_path) -> None:
    root = with_policy(tmp_path, "    delete_records: [admin]\n")
    result = run("--workspace", str(root), "verify", "--pre-receive", stdin="garbage\x1b[2J\n")
    assert result.code == 2
    assert result.err.strip() == (
        "tcrm: error: expected 'OLD NEW REF' on stdin, got 'garbage\\x1b[2J'"
    )


def test_pre_receive_counts_one_members_deletes_over_every_ref_of_the_push(tmp_path) -> None:
    root = with_policy(tmp_path, "    max_deletes_per_push: 1\n")
    start = head(root)
    git_as("ann", root, "checkout", "-q", "-b", "one")
    one = change(root, "ann", "delete a deal", {"deals/bolt-small.yaml": None})
    git_as("ann", root, "checkout", "-q", "-b", "two", start)
    two = change(root, "ann", "delete another", {"deals/acme-big.yaml": None})
    each = [f"{start} {one} refs/heads/one\n", f"{start} {two} refs/heads/two\n"]
    assert run("-w", str(root), "verify", "--pre-receive", stdin=each[0]).code == 0
    result = run("-w", str(root), "verify", "--pre-receive", stdin="".join(each))
    assert result.code == 1
    assert lines(result) == [
        f"{two[:12]} ann@example.com deals/acme-big.yaml: max_deletes_per_push: more than 1 "
        "records deleted in one push"
    ]


# --- untrusted input ------------------------------------------------------------------------


def test_a_broken_policy_refuses_every_commit_on_it_and_the_workspace(tmp_path) -> None:
    root = with_policy(tmp_path, "    delete_records: [admin]\n")
    start = head(root)
    broken = settings_text(root).replace("delete_records: [admin]", "delete_records: &a [admin]")
    change(root, "ann", "anchor", {"tcrm.yaml": broken})  # judged by the valid policy before it
    second = change(root, "ben", "ben deletes", {"deals/bolt-small.yaml": None})
    line = broken.splitlines().index("    delete_records: &a [admin]") + 1
    result = verify(root, f"{start}..HEAD")
    assert result.code == 1
    assert lines(result) == [
        f"{second[:12]} ben@example.com tcrm.yaml: the policy of its parent cannot be read "
        f"(tcrm.yaml:{line}: anchors and aliases are not allowed in records); refused",
        f"{second[:12]} ben@example.com tcrm.yaml:{line}: check: anchors and aliases are not "
        "allowed in records",
    ]


def test_the_allowed_signers_file_holds_plain_emails_only() -> None:
    from tcrm.services.verify import allowed_signers

    key = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGx"
    team = (
        f"team:\n- id: ann\n  name: Ann\n  email: ann@example.com\n  signing_key: {key} ann\n"
        f"- id: eve\n  name: Eve\n  email: '*'\n  signing_key: {key}\n"
        f"- id: bob\n  name: Bob\n  signing_key: {key}\n"
    )
    assert allowed_signers(settings_with("", team)) == f'ann@example.com namespaces="git" {key}\n'


def test_a_rewrite_passes_only_with_a_new_tip_by_someone_who_may_change_settings(tmp_path) -> None:
    root = with_policy(tmp_path, "    change_settings: [admin]\n")
    start = head(root)  # ann's commit
    latest = change(root, "ben", "ben's deal", {"deals/ben-1.yaml": deal("bolt", 5, "ben")})
    # moving main back to ann's older commit drops ben's: nothing says who asked
    result = verify(root, f"{latest}..{start}")
    assert result.code == 1
    assert lines(result) == [
        f"{start[:12]} ann@example.com {start[:12]}: rewrites history (not a fast-forward of "
        f"{latest[:12]}); only change_settings may"
    ]
    # ann rewrites with a new commit of her own: allowed; ben doing the same: refused
    git_as("ann", root, "commit", "-q", "--amend", "--reset-author", "-m", "ann rewrites")
    assert verify(root, f"{latest}..HEAD").code == 0
    git_as("ben", root, "commit", "-q", "--amend", "--reset-author", "-m", "ben rewrites")
    assert "rewrites history" in verify(root, f"{latest}..HEAD").out
