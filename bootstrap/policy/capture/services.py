"""botocore's name of a service (``logs``), from what the capture sources call it: CloudTrail's ``eventSource``
(``logs.amazonaws.com``, the endpoint prefix) and CSM's ``Service`` (``CloudWatch Logs``, the service id).

Both are checked against botocore's own models: the likely names are tried first (a model loads in milliseconds),
and only a name none of them explains costs a scan of every model (seconds, once per process).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from functools import cache
from typing import Any


@cache
def _session() -> Any:
    import botocore.session

    return botocore.session.get_session()


@cache
def _names() -> tuple[str, ...]:
    return tuple(_session().get_available_services())


@cache
def model(name: str) -> Any | None:
    """botocore's model of a service, None for a name it does not know."""
    import botocore.exceptions

    try:
        return _session().get_service_model(name)
    except botocore.exceptions.UnknownServiceError:
        return None


def _find(guesses: Iterable[str], fits: Callable[[Any], bool]) -> str | None:
    names = _names()
    tried: set[str] = set()
    for name in [g for g in guesses if g in names] + list(names):
        if name in tried:
            continue
        tried.add(name)
        found = model(name)
        if found is not None and fits(found):
            return name
    return None


@cache
def from_event_source(source: str) -> str | None:
    """``s3.amazonaws.com`` -> ``s3``; ``monitoring.amazonaws.com`` -> ``cloudwatch``; None when unknown."""
    prefix = source.removesuffix(".amazonaws.com")
    guesses = [prefix, prefix.replace(".", "-"), *(n for n in _names() if prefix in n or n in prefix)]
    return _find(guesses, lambda m: str(m.endpoint_prefix) == prefix)


@cache
def from_service_id(service_id: str) -> str | None:
    """CSM's ``CloudWatch Logs`` -> ``logs``; ``S3`` -> ``s3``; None when unknown."""
    words = re.split(r"[\s-]+", service_id.lower())
    guesses = ["-".join(words), "".join(words), words[-1], words[0]]
    return _find(guesses, lambda m: str(m.service_id) == service_id)


def operation_names(service: str) -> frozenset[str]:
    """The operations botocore knows for a service (empty for an unknown service)."""
    found = model(service)
    return frozenset(found.operation_names) if found is not None else frozenset()


def input_members(service: str, operation: str) -> tuple[str, ...]:
    """The top-level parameter names of an operation, as boto3 takes them."""
    found = model(service)
    if found is None or operation not in operation_names(service):
        return ()
    shape = found.operation_model(operation).input_shape
    return tuple(shape.members) if shape is not None else ()
