"""The seam to botocore (``bootstrap.aws.clients``): what it shares between credentials must not change what a
call does."""

from __future__ import annotations

from typing import Any

import botocore.exceptions
import botocore.session
import pytest

from bootstrap.aws import clients
from bootstrap.credentials import Credentials


@pytest.mark.parametrize(
    ("service", "kind"), [("sts", "service-2"), ("sts", "endpoint-rule-set-1"), ("iam", "service-2")]
)
def test_the_loader_finds_the_models_botocore_finds(service: str, kind: str) -> None:
    ours = clients._new_session().get_component("data_loader")
    theirs = botocore.session.Session().get_component("data_loader")
    assert ours.load_service_model(service, kind) == theirs.load_service_model(service, kind)


def test_an_unknown_service_is_refused_as_botocore_refuses_it() -> None:
    with pytest.raises(botocore.exceptions.UnknownServiceError):
        clients._new_session().get_component("data_loader").load_service_model("no-such-service", "service-2")


class _Sent(Exception):
    """Raised instead of sending: the request was signed and is about to leave."""


def test_two_sets_of_credentials_share_one_client_and_each_call_signs_with_its_own() -> None:
    first = clients.client("sts", Credentials("AKIAFIRSTFIRSTFIRST1", "a" * 40), region="eu-west-1")
    second = clients.client("sts", Credentials("AKIASECONDSECONDSEC2", "b" * 40, "token"), region="eu-west-1")
    shared = first._shared
    assert second._shared is shared
    seen: list[tuple[str, str | None]] = []

    def intercept(request: Any, **_: Any) -> None:
        key = str(request.headers["Authorization"]).split("Credential=")[1].split("/")[0]
        token = request.headers.get("X-Amz-Security-Token")
        seen.append((key, token.decode() if isinstance(token, bytes) else token))
        raise _Sent

    shared.meta.events.register("before-send.sts.GetCallerIdentity", intercept)
    try:
        for made in (first, second, first):
            with pytest.raises(_Sent):
                made.get_caller_identity()
    finally:
        shared.meta.events.unregister("before-send.sts.GetCallerIdentity", intercept)
    assert seen == [("AKIAFIRSTFIRSTFIRST1", None), ("AKIASECONDSECONDSEC2", "token"), ("AKIAFIRSTFIRSTFIRST1", None)]
