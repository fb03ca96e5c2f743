"""What a write did (or, with a dry run, would do) to one AWS file: its text before and after, the profiles added,
updated and removed, and a masked diff. Apart from ``store`` (the transaction), so that a command that finds
nothing to write (an unchanged ``render``) reports it without loading the merge."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bootstrap.awsfiles.scanner import Kind


@dataclass(frozen=True)
class FileChange:
    """What a write did (or, with dry-run, would do) to one AWS file. Names are botocore's profile names."""

    path: Path
    kind: Kind
    before: str | None
    after: str
    added: tuple[str, ...] = ()
    updated: tuple[str, ...] = ()
    removed: tuple[str, ...] = ()

    @property
    def changed(self) -> bool:
        # a missing file that would be written empty is left missing
        return (self.before or "") != self.after

    def diff(self) -> str:
        """A unified diff of the change, every line masked (secret keys by name, known secrets by value)."""
        import difflib

        from bootstrap import redact
        from bootstrap.awsfiles.scanner import lines_of

        # Cut where botocore cuts: a U+2028 inside a value must not look like a line (a section) of its own.
        before = lines_of(self.before or "")
        after = lines_of(self.after)
        lines = difflib.unified_diff(
            before,
            after,
            fromfile=f"{self.path} (before)" if self.before is not None else "/dev/null",
            tofile=str(self.path),
        )
        out: list[str] = []
        for line in lines:
            masked = redact.mask(line.rstrip("\r\n"))
            out.append(masked + "\n")
            if not line.endswith("\n"):
                out.append("\\ No newline at end of file\n")
        return "".join(out)
