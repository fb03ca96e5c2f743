"""``policy record -- COMMAND``: run a command against real AWS or the sandbox and record the calls it makes.

Two channels, one UDP listener on 127.0.0.1 (``csm.Listener``):
- the SDKs' client-side monitoring, on for the command through ``AWS_CSM_*``: every SDK that supports it reports
  each call's service, operation, region and outcome, but never its parameters, so these calls give actions
  without resources (the output says how many);
- for Python workloads, unless turned off, the SDK hook (``hook.py``) installed as ``sitecustomize`` on
  ``PYTHONPATH``: each call's operation, region and the parameters that name its resources.

A Python call reported by both is kept once, with its resources: per (service, operation), only the CSM calls
beyond those the hook reported are kept. The result is CloudTrail-shaped JSON lines, as the sandbox's journal
is, so ``generate`` and ``prove`` read it the same way; ``account`` and ``principal`` (the caller, asked of STS
by the command line before the run) fill in what the SDKs do not report.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path
from typing import Any

from bootstrap.errors import InputError
from bootstrap.policy.capture import services
from bootstrap.policy.capture.calls import RecordedCall
from bootstrap.policy.capture.csm import Datagram, Listener
from bootstrap.policy.capture.files import from_record


@dataclass(frozen=True)
class Recording:
    returncode: int
    records: tuple[dict[str, Any], ...]  # CloudTrail-shaped, one per call, in time order

    @property
    def calls(self) -> tuple[RecordedCall, ...]:
        found = (from_record(record, f"record#{n}") for n, record in enumerate(self.records, 1))
        return tuple(call for call in found if call is not None)

    @property
    def actions_only(self) -> int:
        """Calls seen through CSM only: their resources are unknown."""
        return sum(1 for r in self.records if r["capture"]["via"] == "csm")


def install_hook(directory: Path) -> None:
    """Write the SDK hook into ``directory`` as ``sitecustomize.py`` with the parameter allow-list beside it."""
    package = resources.files("bootstrap.policy.capture")
    for source, target in (("hook.py", "sitecustomize.py"), ("parameters.py", "aws_iam_bootstrap_parameters.py")):
        (directory / target).write_text(package.joinpath(source).read_text(encoding="utf-8"), encoding="utf-8")


def run(
    command: Sequence[str],
    *,
    account: str,
    principal: str,
    sdk_hook: bool = True,
    environ: Mapping[str, str] | None = None,
) -> Recording:
    """Run ``command`` (its stdin, stdout and stderr are the caller's) with its calls recorded."""
    if not command:
        raise InputError("give the command to record after --, e.g. policy record -- python deploy.py")
    env = dict(os.environ if environ is None else environ)
    with Listener() as listener, tempfile.TemporaryDirectory(prefix="aws-iam-bootstrap-record-") as hook_dir:
        env.update(listener.environ(sdk_hook=sdk_hook))
        if sdk_hook:
            install_hook(Path(hook_dir))
            env["PYTHONPATH"] = os.pathsep.join(filter(None, [hook_dir, env.get("PYTHONPATH")]))
        executable = shutil.which(command[0], path=env.get("PATH"))
        if executable is None:
            raise InputError(f"{command[0]}: command not found")
        done = subprocess.run([executable, *command[1:]], env=env, check=False)
        listener.settle()
        datagrams = listener.datagrams
    return Recording(done.returncode, tuple(records(datagrams, account=account, principal=principal)))


def records(datagrams: Iterable[Datagram], *, account: str, principal: str) -> list[dict[str, Any]]:
    """Datagrams as CloudTrail-shaped records (a CSM call the hook also reported kept once, with parameters)."""
    kept: list[tuple[Datagram, str]] = []
    hooked: Counter[tuple[str, str]] = Counter()
    csm: list[tuple[Datagram, str]] = []
    for datagram in datagrams:
        if datagram.via == "sdk":
            kept.append((datagram, datagram.service))
            hooked[(datagram.service, datagram.operation)] += 1
        else:
            csm.append((datagram, services.from_service_id(datagram.service) or datagram.service.lower()))
    for datagram, service in csm:
        key = (service, datagram.operation)
        if hooked[key] > 0:
            hooked[key] -= 1
        else:
            kept.append((datagram, service))
    kept.sort(key=lambda pair: pair[0].time)
    return [_record(datagram, service, account, principal) for datagram, service in kept]


def _record(datagram: Datagram, service: str, account: str, principal: str) -> dict[str, Any]:
    model = services.model(service)
    prefix = str(model.endpoint_prefix) if model is not None else service
    record: dict[str, Any] = {
        "eventVersion": "1.09",
        "eventTime": datetime.fromtimestamp(datagram.time, UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "eventSource": f"{prefix}.amazonaws.com",
        "eventName": datagram.operation,
        "awsRegion": datagram.region or None,
        "userIdentity": {"type": "Recorded", "arn": principal, "accountId": account},
        "requestParameters": dict(datagram.params) if datagram.via == "sdk" else None,
        "eventType": "AwsApiCall",
        "recipientAccountId": account,
        "capture": {"via": datagram.via, "service": service, "httpStatus": datagram.status},
    }
    if datagram.error:
        record["errorCode"] = datagram.error
    return record
