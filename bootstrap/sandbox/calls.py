"""What a request asks moto to do: the service, the operation and its parameters, read exactly as moto will read
them, or refused.

The service is the one moto routes the request to (the layer asks moto's own dispatcher); the operation and the
parameters come from botocore's model of that service (its protocol, each operation's HTTP method and URI, where
each input member travels) and, for REST services, from moto's own router. Because moto reads some parameters in
more than one place (a form body, else the URL's query, else the body parsed as a query string, else the headers;
an ``Action`` there beats ``X-Amz-Target``, which beats the URL), anything that could make moto execute something
other than what is read here is refused: a repeated parameter, a query string beside a form body, an ``Action``
where the protocol has none, a target or URL that does not name exactly one operation, a query parameter the
operation does not model, a compressed or multipart body, and a ``Host`` that moto would read a bucket or a
region from.
"""

from __future__ import annotations

import io
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from typing import Any
from urllib.parse import parse_qsl
from xml.etree import ElementTree

from bootstrap.sandbox.refusals import Protocol, Refusal

# moto backend name -> botocore service name, where they differ
_BOTOCORE_NAMES = {"awslambda": "lambda"}
_PROTOCOLS = ("query", "ec2", "json", "rest-json", "rest-xml")
_LOCAL_HOST = re.compile(r"(localhost|127(\.\d{1,3}){3}|\[[0-9a-fA-F:.]+\])(:\d{1,5})?")
_SCALARS = ("string", "integer", "long", "boolean", "timestamp", "double", "float")


@dataclass(frozen=True)
class Call:
    """One request, understood: ``params`` are keyed by botocore member names, as boto3 takes them."""

    service: str  # botocore's name: s3, lambda, logs, ...
    operation: str
    params: Mapping[str, Any] = field(repr=False)
    protocol: Protocol
    model: Any = field(repr=False, compare=False)  # botocore ServiceModel


@cache
def service_model(name: str) -> Any | None:
    import botocore.exceptions
    import botocore.session

    try:
        return botocore.session.get_session().get_service_model(name)
    except botocore.exceptions.UnknownServiceError:
        return None


def error_protocol(service: str) -> Protocol:
    """How ``service`` words its errors (query XML for anything the sandbox does not know)."""
    model = service_model(service)
    if model is None:
        return Protocol("query")
    return Protocol.of(service, str(model.protocol), str(model.metadata.get("xmlNamespace", "")))


def botocore_name(backend: str) -> str:
    return _BOTOCORE_NAMES.get(backend, backend)


def _sandbox(message: str) -> Refusal:
    return Refusal("sandbox", f"The aws-iam-bootstrap sandbox refuses this request: {message}")


def _pairs(text: str, where: str) -> dict[str, str]:
    """A query string's parameters; a repeated one is refused (moto reads the first, a check might read another)."""
    out: dict[str, str] = {}
    # A bare name is a flag with an empty value (S3's sub-resources: GET /bucket?policy, as boto3 sends them);
    # anything else malformed (an empty field) stays refused.
    text = "&".join(field if "=" in field or not field else f"{field}=" for field in text.split("&")) if text else text
    try:
        pairs = parse_qsl(text, keep_blank_values=True, strict_parsing=bool(text), errors="strict")
    except (ValueError, UnicodeDecodeError):
        raise _sandbox(f"the {where} is not a well-formed query string") from None
    for key, value in pairs:
        if key in out:
            raise _sandbox(f"parameter {key!r} is given more than once in the {where}")
        out[key] = value
    return out


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise _sandbox(f"JSON member {key!r} is given more than once")
        out[key] = value
    return out


def _json(body: bytes) -> dict[str, Any]:
    if not body.strip():
        return {}
    try:
        parsed = json.loads(body, object_pairs_hook=_no_duplicates)
    except (ValueError, UnicodeDecodeError):
        raise _sandbox("the body is not JSON") from None
    if not isinstance(parsed, dict):
        raise _sandbox("the body is not a JSON object")
    return parsed


def _moto_action(environ: Mapping[str, Any], body: bytes, query: str, form: bool) -> str | None:
    """The ``Action`` moto's BaseResponse would find before looking at the target or the URL (setup_class: the
    form, else the URL's query, else the body read as a query string, else the headers)."""
    if form or query:
        return None  # handled by the protocol's own rules
    if body:
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError:
            return None
        values = dict(parse_qsl(text, keep_blank_values=True))
        return values.get("Action")
    return environ.get("HTTP_ACTION")


def read_call(environ: dict[str, Any], body: bytes, backend: str) -> Call:
    """The call a request makes of ``backend`` (moto's name for the service it routes to), or a ``Refusal``."""
    service = botocore_name(backend)
    model = service_model(service)
    protocol = str(model.protocol) if model is not None else ""
    if model is None or protocol not in _PROTOCOLS:
        raise _sandbox(f"it goes to {backend!r}, whose API the sandbox cannot read")
    errors = Protocol.of(service, protocol, str(model.metadata.get("xmlNamespace", "")))
    host = str(environ.get("HTTP_HOST", ""))
    if not _LOCAL_HOST.fullmatch(host):
        raise _sandbox(f"Host {host[:60]!r}: the sandbox serves path-style requests to its own address only")
    encoding = str(environ.get("HTTP_CONTENT_ENCODING", "")).strip().lower()
    if encoding not in ("", "identity"):
        raise _sandbox(f"Content-Encoding {encoding!r}: compressed or chunked bodies are not read")
    content_type = str(environ.get("CONTENT_TYPE", "")).lower()
    if content_type.startswith("multipart/"):
        raise _sandbox("multipart bodies (browser POST uploads) are not read")
    if "region/" in str(environ.get("HTTP_USER_AGENT", "")):
        raise _sandbox("a User-Agent naming a region (moto would act in that region)")
    form = content_type.startswith("application/x-www-form-urlencoded")
    query = str(environ.get("QUERY_STRING", ""))
    method = str(environ.get("REQUEST_METHOD", ""))
    if protocol in ("query", "ec2"):
        operation, params = _read_query(environ, body, query, form, method, model)
    else:
        if form:
            raise _sandbox(f"a form body, which {service} ({protocol}) does not take")
        if _moto_action(environ, body, query, form) is not None:
            raise _sandbox("an 'Action' parameter, which moto would obey before the operation the request names")
        if protocol == "json":
            operation, params = _read_json(environ, body, query, method, model)
        else:
            operation, params = _read_rest(environ, body, query, service, protocol, model)
    return Call(service, operation, params, errors, model)


def _read_query(
    environ: Mapping[str, Any], body: bytes, query: str, form: bool, method: str, model: Any
) -> tuple[str, dict[str, Any]]:
    if "HTTP_X_AMZ_TARGET" in environ:
        raise _sandbox("X-Amz-Target on a query API (moto would obey it when Action is missing)")
    if body and query:
        raise _sandbox("parameters both in the URL and in the body (moto reads only one of them)")
    if body and not form:
        raise _sandbox("a body that is not application/x-www-form-urlencoded")
    if method not in ("POST", "GET"):
        raise _sandbox(f"method {method} on a query API")
    try:
        text = body.decode("utf-8") if body else query
    except UnicodeDecodeError:
        raise _sandbox("a body that is not UTF-8") from None
    values = _pairs(text, "body" if body else "URL")
    operation = values.get("Action", "")
    if operation not in model.operation_names:
        raise _sandbox(f"Action {operation[:60]!r} is not an operation of {model.service_name}")
    op = model.operation_model(operation)
    params: dict[str, Any] = {}
    for member, shape in op.input_shape.members.items() if op.input_shape else ():
        name = _query_name(member, shape, model.protocol)
        if shape.type_name in _SCALARS and name in values:
            params[member] = values[name]
        elif shape.type_name == "list":
            prefix = f"{name}.N." if model.protocol == "ec2" or shape.serialization.get("flattened") else ""
            listed = _listed(values, name, prefix)
            if listed:
                params[member] = listed
    return operation, params


def _query_name(member: str, shape: Any, protocol: str) -> str:
    serialization = shape.serialization
    if protocol == "ec2":
        name = serialization.get("queryName") or serialization.get("name", member)
        return str(name[0].upper() + name[1:])
    return str(serialization.get("name", member))


def _listed(values: Mapping[str, str], name: str, flat: str) -> list[str]:
    out = []
    for n in range(1, len(values) + 1):
        key = f"{name}.{n}" if flat else f"{name}.member.{n}"
        if key not in values:
            break
        out.append(values[key])
    return out


def _read_json(
    environ: Mapping[str, Any], body: bytes, query: str, method: str, model: Any
) -> tuple[str, dict[str, Any]]:
    if method != "POST" or query:
        raise _sandbox("a JSON API request is a POST without a query string")
    target = str(environ.get("HTTP_X_AMZ_TARGET", ""))
    prefix, _, operation = target.partition(".")
    if prefix != model.metadata.get("targetPrefix") or operation not in model.operation_names:
        raise _sandbox(f"X-Amz-Target {target[:80]!r} is not an operation of {model.service_name}")
    return operation, _json(body)


def _read_rest(
    environ: dict[str, Any], body: bytes, query: str, service: str, protocol: str, model: Any
) -> tuple[str, dict[str, Any]]:
    from moto.core.request import Request
    from moto.core.routing import get_service_router
    from werkzeug.exceptions import NotFound

    if "HTTP_X_AMZ_TARGET" in environ:
        raise _sandbox("X-Amz-Target on a REST API (moto would obey it)")
    args = _pairs(query, "URL")
    request_environ = dict(environ)
    request_environ["wsgi.input"] = io.BytesIO(body)
    try:
        operation_model, uri_params = get_service_router(service).match(Request(request_environ))
    except (NotFound, NotImplementedError):
        method = environ.get("REQUEST_METHOD")
        raise _sandbox(f"{method} {environ.get('PATH_INFO', '')[:80]} is not an operation of {service}") from None
    op = model.operation_model(operation_model.name)
    literal = {k for k, _ in parse_qsl(str(op.http["requestUri"]).partition("?")[2], keep_blank_values=True)}
    members = op.input_shape.members if op.input_shape else {}
    modeled = literal | {
        str(s.serialization.get("name", m))
        for m, s in members.items()
        if s.serialization.get("location") == "querystring"
    }
    unknown = sorted(set(args) - modeled)
    if unknown:
        raise _sandbox(f"query parameter(s) {', '.join(unknown)[:80]} that {op.name} does not take")
    document = _json(body) if protocol == "rest-json" else {}
    params: dict[str, Any] = {}
    for member, shape in members.items():
        location = shape.serialization.get("location")
        name = str(shape.serialization.get("name", member))
        if location == "uri":
            value: Any = uri_params.get(name)
        elif location == "querystring":
            value = args.get(name)
        elif location == "header":
            value = environ.get("HTTP_" + name.upper().replace("-", "_"))
        elif location is None:
            value = document.get(name)
        else:
            value = None
        if value is not None:
            params[member] = value
    if service == "s3" and op.name == "DeleteObjects":
        params["Delete"] = {"Objects": [{"Key": key} for key in _xml_keys(body)]}
    return op.name, params


def _xml_keys(body: bytes) -> list[str]:
    """The object keys of an S3 ``<Delete>`` document."""
    try:
        root = ElementTree.fromstring(body)  # noqa: S314  (expat: no external entities; a local test double)
    except ElementTree.ParseError:
        raise _sandbox("the Delete document is not XML") from None
    return [element.text or "" for element in root.iter() if element.tag.rsplit("}", 1)[-1] == "Key"]
