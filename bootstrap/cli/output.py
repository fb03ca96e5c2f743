"""Printing for the click layer: everything shown passes through ``redact.mask``."""

from __future__ import annotations

import click

from bootstrap import redact


def out(text: str = "", *, nl: bool = True) -> None:
    """Print to stdout, masked."""
    click.echo(redact.mask(text), nl=nl)


def err(text: str = "", *, nl: bool = True) -> None:
    """Print to stderr, masked (progress, headings, warnings)."""
    click.echo(redact.mask(text), nl=nl, err=True)
