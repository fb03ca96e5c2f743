"""A person's own IAM things in the users account, which no template holds: the first credentials handed over
once, and everything removed when they leave.

Handing over is re-runnable after an interruption. A user the tool creates carries the tag
``aws-iam-bootstrap:handover=pending`` until the admin has the credentials in hand (the caller writes them, then
calls ``handed_over``). While the tag is there, whatever password or key the user has was made by an interrupted
run and never reached anyone, so a re-run replaces them; once it is gone, the tool never touches them again.

Removing follows IAM's order: DeleteUser is refused while the user still has access keys, signing certificates,
SSH keys, service-specific credentials, MFA devices, a login profile, group memberships or policies.
"""

from __future__ import annotations

import secrets
import string
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Final

from bootstrap import redact
from bootstrap.aws import codes
from bootstrap.aws.errors import calling
from bootstrap.credentials import Credentials
from bootstrap.errors import AwsError, StateError
from bootstrap.org.observe import PENDING_TAG, user_tags

PASSWORD_LENGTH: Final = 24
_SYMBOLS: Final = "!@#$%^&*()-_=+[]{}"


@dataclass(frozen=True)
class Handover:
    """What the admin hands a new engineer, once: never printed, logged or put on a command line unless asked."""

    user: str
    account_id: str
    account_name: str
    password: str = field(repr=False)
    key: Credentials

    @property
    def signin_url(self) -> str:
        return f"https://{self.account_id}.signin.aws.amazon.com/console"

    @property
    def onboard_line(self) -> str:
        return f"aws-iam-bootstrap onboard --access-key-id {self.key.access_key_id}"

    def text(self) -> str:
        """The handover note: for the admin to pass on by a safe channel, then delete."""
        return (
            f"# aws-iam-bootstrap: first credentials of {self.user}, made once. Pass them to {self.user} by a safe\n"
            "# channel (a password manager's shared item, not chat or email), then delete this file.\n"
            f"user: {self.user}\n"
            f"account: {self.account_id} ({self.account_name})\n"
            f"console sign-in: {self.signin_url}\n"
            f"temporary console password (to be changed at the first sign-in): {self.password}\n"
            f"one-time access key id: {self.key.access_key_id}\n"
            f"one-time secret access key: {self.key.secret_access_key}\n"
            f"\n# Then {self.user} runs, in the team's repository (it asks for the one-time secret access key):\n"
            f"{self.onboard_line}\n"
        )


def new_password() -> str:
    """A temporary console password meeting any IAM password policy's character rules (upper and lower case,
    digit, symbol), 24 characters."""
    alphabet = string.ascii_letters + string.digits + _SYMBOLS
    while True:
        password = "".join(secrets.choice(alphabet) for _ in range(PASSWORD_LENGTH))
        if (
            any(c.islower() for c in password)
            and any(c.isupper() for c in password)
            and any(c.isdigit() for c in password)
            and any(c in _SYMBOLS for c in password)
        ):
            redact.register(password)
            return password


def pending(iam: Any, name: str) -> bool:
    """Whether ``name`` awaits its first credentials (``StateError`` when there is no such user)."""
    tags = user_tags(iam, name)
    if tags is None:
        raise StateError(f"{name} has no user in the users account yet (apply the organisation first)")
    return PENDING_TAG in tags


def hand_over(iam: Any, name: str, account_id: str, account_name: str) -> Handover:
    """A temporary console password (reset required at first sign-in) and one one-time access key for a user
    awaiting them; any left by an interrupted run are replaced first."""
    password = new_password()
    try:
        with calling("iam:CreateLoginProfile"):
            iam.create_login_profile(UserName=name, Password=password, PasswordResetRequired=True)
        with calling("iam:GetLoginProfile"):
            must_reset = iam.get_login_profile(UserName=name)["LoginProfile"].get("PasswordResetRequired")
    except AwsError as exc:
        if exc.code not in codes.ALREADY_EXISTS:
            raise
        must_reset = False
    if not must_reset:  # a login profile left by an interrupted run (or moto, which drops the flag on create)
        with calling("iam:UpdateLoginProfile"):
            iam.update_login_profile(UserName=name, Password=password, PasswordResetRequired=True)
    for key_id in _list(iam, "list_access_keys", "AccessKeyMetadata", "AccessKeyId", name):
        with calling("iam:DeleteAccessKey"):
            iam.delete_access_key(UserName=name, AccessKeyId=key_id)
    with calling("iam:CreateAccessKey"):
        made = iam.create_access_key(UserName=name)["AccessKey"]
    key = Credentials(str(made["AccessKeyId"]), str(made["SecretAccessKey"]))
    return Handover(name, account_id, account_name, password, key)


def handed_over(iam: Any, name: str) -> None:
    """The credentials reached the admin: the user is no longer pending, and a re-run leaves them alone."""
    with calling("iam:UntagUser"):
        iam.untag_user(UserName=name, TagKeys=[PENDING_TAG])


# --- removing a user ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Removal:
    """One step of removing a user, said as it is done."""

    text: str


def remove(iam: Any, name: str, on_step: Callable[[Removal], None] = lambda step: None) -> bool:
    """Delete ``name`` and everything IAM requires gone first; False when there was no such user (a re-run)."""
    if user_tags(iam, name) is None:
        return False

    def step(text: str, method: str, **params: str) -> None:
        try:
            with calling(_action(method)):
                getattr(iam, method)(UserName=name, **params)
        except AwsError as exc:
            if exc.code not in codes.NOT_FOUND:  # gone already: a re-run after an interruption
                raise
            return
        on_step(Removal(text))

    for key_id in _list(iam, "list_access_keys", "AccessKeyMetadata", "AccessKeyId", name):
        step(f"delete access key {key_id}", "delete_access_key", AccessKeyId=key_id)
    for cert in _list(iam, "list_signing_certificates", "Certificates", "CertificateId", name):
        step(f"delete signing certificate {cert}", "delete_signing_certificate", CertificateId=cert)
    for ssh in _list(iam, "list_ssh_public_keys", "SSHPublicKeys", "SSHPublicKeyId", name):
        step(f"delete SSH key {ssh}", "delete_ssh_public_key", SSHPublicKeyId=ssh)
    for cred in _service_credentials(iam, name, on_step):
        step(f"delete service-specific credential {cred}", "delete_service_specific_credential", **{_SSC: cred})
    for serial in _list(iam, "list_mfa_devices", "MFADevices", "SerialNumber", name):
        step(f"deactivate MFA device {serial}", "deactivate_mfa_device", SerialNumber=serial)
        if ":mfa/" in serial:  # a virtual device (a hardware one has a serial, not an ARN, and is not deleted)
            try:
                with calling("iam:DeleteVirtualMFADevice"):
                    iam.delete_virtual_mfa_device(SerialNumber=serial)
                on_step(Removal(f"delete virtual MFA device {serial}"))
            except AwsError as exc:
                if exc.code not in codes.NOT_FOUND:
                    raise
    step("delete the console password (login profile)", "delete_login_profile")
    for group in _list(iam, "list_groups_for_user", "Groups", "GroupName", name):
        step(f"remove from group {group}", "remove_user_from_group", GroupName=group)
    for policy in _list(iam, "list_user_policies", "PolicyNames", None, name):
        step(f"delete inline policy {policy}", "delete_user_policy", PolicyName=policy)
    for arn in _list(iam, "list_attached_user_policies", "AttachedPolicies", "PolicyArn", name):
        step(f"detach policy {arn}", "detach_user_policy", PolicyArn=arn)
    step(f"delete user {name}", "delete_user")
    return True


_SSC: Final = "ServiceSpecificCredentialId"


def _action(method: str) -> str:
    return "iam:" + "".join(part.capitalize() for part in method.split("_"))


def _list(iam: Any, method: str, member: str, key: str | None, name: str) -> list[str]:
    try:
        with calling(_action(method)):
            items = getattr(iam, method)(UserName=name)[member]
    except AwsError as exc:
        if exc.code in codes.NOT_FOUND:
            return []
        raise
    return [str(item if key is None else item[key]) for item in items]


def _service_credentials(iam: Any, name: str, on_step: Callable[[Removal], None]) -> list[str]:
    from botocore.parsers import ResponseParserError

    try:
        return _list(iam, "list_service_specific_credentials", "ServiceSpecificCredentials", _SSC, name)
    except (AwsError, ResponseParserError) as exc:
        code = getattr(exc, "code", type(exc).__name__)
        if code in codes.ACCESS_DENIED:
            raise
        # moto does not implement this call (it answers 500); AWS does. Were one left, DeleteUser would say so.
        on_step(Removal(f"could not list service-specific credentials ({code}); continuing"))
        return []
