"""Command: policy provisioner (a provisioning role with the least permissions, as CloudFormation and Terraform)."""

from __future__ import annotations

from pathlib import Path

import click

from bootstrap.cli.output import err, out
from bootstrap.cli.policy_options import FILE, PATHS, prefix_option, read, report, select, selection
from bootstrap.errors import CheckFailed, InputError


@click.command()
@click.option(
    "--trust",
    "trusted",
    multiple=True,
    required=True,
    metavar="USER_ARN",
    help="A user who may assume the role, with MFA (repeatable: name each person).",
)
@click.option("--policy", "policy_file", type=FILE, help="The role's policy, as a file (else --from).")
@click.option("--from", "sources", type=PATHS, multiple=True, metavar="PATH", help="Generate the policy from these.")
@selection
@prefix_option
@click.option("--role-name", default="MinProvisioner", show_default=True, help="The role's (and policy's) name.")
@click.option("--max-session", type=click.IntRange(3600, 43200), default=3600, show_default=True, help="Seconds.")
@click.option(
    "--out-dir",
    type=click.Path(path_type=Path, file_okay=False),
    default=Path(),
    show_default=True,
    help="Where to write ROLE.cfn.yaml and ROLE.tf.json.",
)
@click.option("--dry-run", is_flag=True, help="Print both files instead of writing them.")
def provisioner(
    trusted: tuple[str, ...],
    policy_file: Path | None,
    sources: tuple[Path, ...],
    principal: str | None,
    since: str | None,
    until: str | None,
    denied_only: bool,
    prefix: str | None,
    role_name: str,
    max_session: int,
    out_dir: Path,
    dry_run: bool,
) -> None:
    """Write a provisioning role with the least permissions, as CloudFormation (YAML) and Terraform (JSON).

    The role's trust names each --trust user and requires MFA; its one managed policy is POLICY, or generated
    from a recording of the provisioning run (best with --prefix, so a shared account's other resources stay out
    of reach). Deploy either file as you deploy the rest.

    \b
    Example (record the provisioning run on the sandbox, then write the role):
      aws-iam-bootstrap sandbox --journal provision.jsonl      # and in its environment:
      terraform apply && terraform destroy
      aws-iam-bootstrap policy provisioner --from provision.jsonl --principal ARN --prefix psoxy \\
          --trust arn:aws:iam::123456789012:user/erik --trust arn:aws:iam::123456789012:user/ana
    """
    from bootstrap.policy import document
    from bootstrap.policy import provisioner as rendering

    if (policy_file is None) == (not sources):
        raise InputError("give the role's policy: --policy FILE, or --from a recording to generate it")
    if policy_file is not None:
        chosen = document.load(policy_file)
    else:
        from bootstrap.policy.generate import generate
        from bootstrap.policy.lint import lint as run_lint

        calls = read(sources, select(principal, since, until, denied_only))
        generated = generate(calls, prefix=prefix)
        report(generated, run_lint(generated.document, calls=calls, prefix=prefix), explain=False)
        if generated.unmapped:
            raise CheckFailed("some recorded calls could not be mapped to IAM (see above): nothing written")
        chosen = generated.document
    role = rendering.build(chosen, trusted, role_name=role_name, max_session=max_session)
    files = {
        out_dir / f"{role_name}.cfn.yaml": rendering.cloudformation(role),
        out_dir / f"{role_name}.tf.json": rendering.terraform(role),
    }
    for path, text in files.items():
        if dry_run:
            out(f"# {path}")
            out(text, nl=False)
        else:
            from bootstrap.awsfiles.safewrite import write_private

            write_private(path, text, backup=path.exists())
            err(f"wrote {path}")
    if dry_run:
        err("dry run: nothing written")
