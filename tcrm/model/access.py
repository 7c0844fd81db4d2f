"""The access policy of a team workspace: ``access:`` in ``tcrm.yaml``.

A git host grants all or nothing; this policy says who may change what, and ``tcrm
verify`` enforces it on the server (a pre-receive hook or CI) and ``tcrm sync`` before a
push. A rule that is absent allows everyone (a workspace without ``access:`` behaves as
before); a rule names the roles (or member ids) it allows, and an empty list allows nobody.
Unknown rule names are refused, not ignored: a misspelt rule must never open a door.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from tcrm.model.types import Amount, Currency, RecordId, new_list

Names = list[RecordId]
"""Roles or member ids a rule allows."""

SIGNING_KEY_RE = re.compile(
    r"^(ssh-ed25519|ssh-rsa|ecdsa-sha2-nistp(?:256|384|521)|sk-ssh-ed25519@openssh\.com|"
    r"sk-ecdsa-sha2-nistp256@openssh\.com) ([A-Za-z0-9+/]+={0,3})(?: [^\x00-\x1f\x7f]*)?$"
)
"""An OpenSSH public key line, ``ssh-ed25519 AAAA... comment``: one line, no control
characters (it is written into an allowed-signers file, where a line break would add a key)."""


def check_signing_key(value: Any) -> str:
    """The key's type and base64 (the comment dropped), or ValueError."""
    match = SIGNING_KEY_RE.match(value) if isinstance(value, str) else None
    if match is None:
        raise ValueError(
            "signing_key must be one OpenSSH public key line, e.g. 'ssh-ed25519 AAAA... "
            "you@host' (the contents of ~/.ssh/id_ed25519.pub)"
        )
    return f"{match[1]} {match[2]}"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, defer_build=True)


def _roles_only(value: Any) -> Any:
    """``[admin]`` is short for ``{roles: [admin]}``."""
    return {"roles": value} if isinstance(value, list) else value


class CloseDealsAbove(_Strict):
    """Who may mark a deal won or lost when its amount is above ``amount``."""

    amount: Amount
    currency: Currency | None = Field(
        default=None, description="the currency of amount; the workspace's if unset"
    )
    roles: Names = Field(default_factory=new_list)


class DeleteRecords(_Strict):
    roles: Names = Field(default_factory=new_list)


class EditOthersRecords(_Strict):
    """Who may change records owned by another member (a client's or deal's ``owner``, a
    task's ``assignee``, an activity's ``author``), and what everyone else may do to them."""

    roles: Names = Field(default_factory=new_list)
    others: Literal["activities_only", "nothing"] = Field(
        default="activities_only",
        description="activities_only: others may still add activities and tasks about "
        "those clients and deals; nothing: not even that",
    )


class Rules(_Strict):
    """``may:``, rule -> who. Absent: everyone may."""

    change_settings: Names | None = Field(
        default=None,
        description="tcrm.yaml (the policy included) and every file outside "
        "the record folders and kb/",
    )
    delete_records: DeleteRecords | None = None
    max_deletes_per_push: Annotated[int, Field(ge=0, le=1_000_000)] | None = Field(
        default=None, description="records one member may delete in one push, whatever the role"
    )
    close_deals_above: CloseDealsAbove | None = None
    change_owner: Names | None = Field(
        default=None, description="change the owner of a client or deal, the assignee of a task"
    )
    edit_others_records: EditOthersRecords | None = None

    @field_validator("delete_records", "edit_others_records", mode="before")
    @classmethod
    def _short_form(cls, value: Any) -> Any:
        return _roles_only(value)


class AccessPolicy(_Strict):
    """``access:``: roles, what each may do, and whether commits must be signed."""

    roles: dict[RecordId, Names] = Field(
        default_factory=dict, description="role -> the member ids that have it"
    )
    may: Rules = Field(default_factory=Rules)
    require_signed: bool = Field(
        default=False,
        description="every commit must carry a valid SSH signature by the key (signing_key "
        "in team) of the member whose email is its author",
    )

    def roles_of(self, member_id: str) -> set[str]:
        return {role for role, members in self.roles.items() if member_id in members}

    def allows(self, names: Iterable[str] | None, member_id: str | None) -> bool:
        """Whether a rule allowing ``names`` (None: everyone) allows this member (None: a
        commit whose author is no member, allowed only by an absent rule)."""
        if names is None:
            return True
        if member_id is None:
            return False
        wanted = set(names)
        return member_id in wanted or bool(self.roles_of(member_id) & wanted)

    def named(self) -> list[str]:
        """Every role or member a rule names (checked against the team by the settings)."""
        may = self.may
        lists: list[Names | None] = [
            may.change_settings,
            may.change_owner,
            may.delete_records.roles if may.delete_records else None,
            may.close_deals_above.roles if may.close_deals_above else None,
            may.edit_others_records.roles if may.edit_others_records else None,
        ]
        return [name for names in lists for name in names or []]


def above(
    rule: CloseDealsAbove,
    amount: Decimal,
    currency: str,
    base: str,
    rates: dict[str, Decimal] | None,
) -> bool:
    """Whether ``amount`` of ``currency`` is above the rule's threshold.

    Both are compared in the workspace currency ``base`` with the workspace's rates (one
    unit of a currency is worth ``rate`` of ``base``, as the reports convert). Without a
    rate for one of them, amounts of the same currency are compared as they are, and an
    amount that cannot be compared at all counts as above: the rule errs on the side of
    asking for the role.
    """
    limit_currency = rule.currency or base
    if currency == limit_currency:
        return amount > rule.amount
    mine, limit = (
        _in_base(amount, currency, base, rates),
        _in_base(rule.amount, limit_currency, base, rates),
    )
    if mine is None or limit is None:
        return True
    return mine > limit


def _in_base(
    amount: Decimal, currency: str, base: str, rates: dict[str, Decimal] | None
) -> Decimal | None:
    if currency == base:
        return amount
    rate = (rates or {}).get(currency)
    return amount * rate if rate is not None else None
