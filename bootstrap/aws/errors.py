"""botocore's failures turned into ``AwsError`` once (``calling``), by the codes of ``aws.codes``; and
``make_error``, a botocore ``ClientError`` as AWS sends it, for unit tests.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import botocore.exceptions

from bootstrap.aws.codes import CONNECTION, NO_CREDENTIALS, PROCESS_FAILED
from bootstrap.errors import AwsError


def error_code(exc: BaseException) -> str:
    """The AWS error code of a botocore ``ClientError`` ("" for anything else)."""
    if isinstance(exc, botocore.exceptions.ClientError):
        return str(exc.response.get("Error", {}).get("Code", ""))
    return ""


def make_error(code: str, message: str = "", *, operation: str = "Operation", status: int = 400) -> Exception:
    """A botocore ``ClientError`` as AWS would send it, for unit tests of code that handles one."""
    response: Any = {
        "Error": {"Code": code, "Message": message},
        "ResponseMetadata": {"HTTPStatusCode": status},
    }
    return botocore.exceptions.ClientError(response, operation)


@contextmanager
def calling(action: str) -> Iterator[None]:
    """Turn AWS failures inside the block into one ``AwsError`` naming the action and the AWS error code."""
    try:
        yield
    except botocore.exceptions.ClientError as exc:
        code = error_code(exc)
        detail = str(exc.response.get("Error", {}).get("Message", "")).strip()
        raise AwsError(f"{action} was refused by AWS ({code}): {detail}", code=code, action=action) from None
    except (botocore.exceptions.EndpointConnectionError, botocore.exceptions.ConnectTimeoutError) as exc:
        raise AwsError(f"{action}: could not reach AWS ({exc})", code=CONNECTION, action=action) from None
    except botocore.exceptions.NoCredentialsError:
        raise AwsError(f"{action}: no AWS credentials found", code=NO_CREDENTIALS, action=action) from None
    except botocore.exceptions.CredentialRetrievalError as exc:
        # A profile's credential_process failed. Its own words (stderr) are not repeated: they are another
        # program's output, and may hold what that program was unlocking.
        provider = exc.kwargs.get("provider", "the credential provider")
        raise AwsError(
            f"{action}: {provider} failed to produce credentials (run the profile's credential_process by hand "
            "to see why)",
            code=PROCESS_FAILED,
            action=action,
        ) from None
    except botocore.exceptions.BotoCoreError as exc:
        # Anything else botocore raises (read timeouts, closed connections, TLS, bad profile settings) is still an
        # AWS-side failure of this action, never a traceback.
        name = type(exc).__name__
        raise AwsError(f"{action} failed: {name}", code=name, action=action) from None
