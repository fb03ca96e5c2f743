"""The one door to boto3: the client cache (``client``), the AWS error vocabulary (``errors``), and the STS and
IAM calls the tool makes (``sts``, ``iam``).

Only commands that talk to AWS import this package (lazily, inside the command), so ``--help`` and ``render``
never pay for importing boto3.
"""
