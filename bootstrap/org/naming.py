"""How the organisation's IAM things are named: ``infra-<Kind>R-<suffix>`` roles in every environment account,
``infra-AssumeRoleG-<suffix>``, ``infra-ManageOwnUserG-<suffix>`` and ``infra-PowerG-<suffix>`` groups in the users
account. The prefix is the CloudFormation stack's name (``infra``); the suffix tells one deployment from another.
"""

from __future__ import annotations

import secrets
import string
from dataclasses import dataclass
from typing import Final

STACK: Final = "infra"
KINDS: Final = ("ADMIN", "OPS", "READ")
KIND_WORDS: Final = {"ADMIN": "Admin", "OPS": "Ops", "READ": "Read"}
SUFFIX_LENGTH: Final = 12


def role_name(kind: str, suffix: str, *, stack: str = STACK) -> str:
    """``infra-AdminR-SUFFIX`` for kind ADMIN."""
    return f"{stack}-{KIND_WORDS[kind]}R-{suffix}"


@dataclass(frozen=True)
class Groups:
    """The users account's groups."""

    assume_role: str
    manage_own_user: str
    power: str


def groups(suffix: str, *, stack: str = STACK) -> Groups:
    return Groups(f"{stack}-AssumeRoleG-{suffix}", f"{stack}-ManageOwnUserG-{suffix}", f"{stack}-PowerG-{suffix}")


def role_group(env: str, kind: str, suffix: str, *, stack: str = STACK) -> str:
    """The group that grants ``env``'s ``kind`` role when its trust names the users account instead of people (the
    large-team pattern): ``infra-DEV-ReadRG-SUFFIX``."""
    return f"{stack}-{env}-{KIND_WORDS[kind]}RG-{suffix}"


def new_suffix() -> str:
    """A fresh suffix, as CloudFormation makes them: 12 upper-case letters and digits."""
    return "".join(secrets.choice(string.ascii_uppercase + string.digits) for _ in range(SUFFIX_LENGTH))
