"""The AWS console's switch-role links for every role CONST.inc names: production in red, every other account in
its own colour.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from bootstrap.team.const import Account, Role, Variables

# The console's switch-role palette (the URL takes one of these five hex values). Production stands out in red;
# every other account takes the next of the remaining colours.
COLOURS: Final = {"F2B0A9": "red", "FBBF93": "orange", "FAD791": "yellow", "B7CA9D": "green", "99BCE3": "blue"}
_PROD_COLOUR: Final = "F2B0A9"
_OTHER_COLOURS: Final = ("B7CA9D", "99BCE3", "FAD791", "FBBF93")


@dataclass(frozen=True)
class ConsoleLink:
    """The AWS console switch-role link for one role."""

    account: Account
    role: Role
    colour: str

    @property
    def display_name(self) -> str:
        return self.role.profile

    @property
    def colour_name(self) -> str:
        return COLOURS[self.colour]

    @property
    def url(self) -> str:
        from urllib.parse import urlencode

        query = urlencode(
            {
                "roleName": self.role.name,
                "account": self.account.id,
                "displayName": self.display_name,
                "color": self.colour,
            }
        )
        return f"https://signin.aws.amazon.com/switchrole?{query}"


def console_links(variables: Variables) -> tuple[ConsoleLink, ...]:
    """One switch-role link per role: production accounts in red, every other account in its own colour."""
    links: list[ConsoleLink] = []
    others = 0
    for account in variables.accounts:
        if account.is_prod:
            colour = _PROD_COLOUR
        else:
            colour = _OTHER_COLOURS[others % len(_OTHER_COLOURS)]
            others += 1
        links.extend(ConsoleLink(account=account, role=role, colour=colour) for role in account.roles)
    return tuple(links)
