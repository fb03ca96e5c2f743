"""What a workload called, from wherever it was seen: the sandbox's journal, real CloudTrail log files, botocore's
client-side monitoring datagrams and the Python SDK's own parameters (``policy record``).

Every source becomes the same value, a ``RecordedCall`` (``calls.py``), read by ``files.read_calls``; the CSM
listener (``csm.py``), the in-process SDK hook (``hook.py``) and the runner that uses both (``record.py``) write
CloudTrail-shaped JSON lines the same reader takes back.
"""
