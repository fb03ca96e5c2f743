"""The engineer's AWS files (``~/.aws/config`` and ``~/.aws/credentials``) and the tool's own files beside them.

``locations`` (where everything lives), ``safewrite`` (atomic, private, locked writes), ``jsonstore`` (the tool's
versioned private JSON files), ``scanner`` (cutting a file into sections as botocore does), ``merge`` (pure text
merge), ``botocore_view`` (the files as the SDKs read them), ``ledger`` (what prune may remove), ``store`` (the
transaction that changes both files), ``layout`` (the aws-mfa ``[NAME]``/``[NAME-long-term]`` layout). No module
here imports boto3.
"""
