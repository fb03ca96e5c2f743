"""aws-iam-bootstrap: onboard an engineer onto a team's AWS accounts, behind MFA, and keep them working."""

__version__ = "0.1.0"
