"""Templates: Jinja2 set up for ``${NAME}`` placeholders, strict about undefined names. Text in, text out.

``{% for account in accounts %}`` blocks stay available so a template can loop over every account and role.
Every name a template uses without a value is found before anything renders (``StrictUndefined`` alone stops
at the first), and reported with the template file and line.
"""

from __future__ import annotations

import functools
import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any

from bootstrap.errors import InputError

if TYPE_CHECKING:
    import jinja2
    import jinja2.nodes

# Jinja2 is imported when a template is first parsed, not with this module: a render with nothing to change
# (see render_record) never parses one.


@dataclass(frozen=True)
class Template:
    """A template's text, and the file it came from (named in every error)."""

    path: Path
    text: str

    @classmethod
    def load(cls, path: Path, *, flag: str) -> Template:
        try:
            return cls(path, path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise InputError(f"{path}: no such template (pass {flag})") from None
        except (OSError, UnicodeDecodeError) as exc:
            raise InputError(f"{path}: cannot read: {exc}") from None


@dataclass(frozen=True)
class Placeholder:
    """A name a template uses, where."""

    name: str
    path: Path
    line: int

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: ${{{self.name}}}"


def environment() -> jinja2.Environment:
    import jinja2

    # Autoescape off: the output is an INI file, not HTML. keep_trailing_newline: the file ends as the template does.
    # trim/lstrip blocks: a `{% for %}` line of its own leaves no blank line behind in the rendered file.
    # Sandboxed: a template from a shared repository must not reach Python internals (`${''.__class__...}`).
    return _sandbox()(
        variable_start_string="${",
        variable_end_string="}",
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
        undefined=jinja2.StrictUndefined,
        autoescape=False,
    )


@functools.cache
def _sandbox() -> type[jinja2.sandbox.SandboxedEnvironment]:
    """Jinja2's sandbox, which lets the templates read the public fields of CONST.inc's accounts and roles without
    its per-access checks (a third of rendering 25,000 profiles); every other attribute is the sandbox's to judge."""
    import dataclasses

    import jinja2.sandbox

    from bootstrap.team.const import Account, Role

    readable = {
        kind: frozenset(
            [field.name for field in dataclasses.fields(kind)]
            + [name for name, member in vars(kind).items() if isinstance(member, property)]
        )
        for kind in (Account, Role)
    }

    class Sandbox(jinja2.sandbox.SandboxedEnvironment):
        def getattr(self, obj: Any, attribute: str) -> Any:
            # Our own frozen values, by exact type, and only their public fields and properties (plain strings,
            # booleans and tuples of our values): nothing there leads to Python's internals.
            if attribute in readable.get(type(obj), ()):
                return getattr(obj, attribute)
            return super().getattr(obj, attribute)

    return Sandbox


@functools.lru_cache(maxsize=8)
def _parsed(template: Template) -> jinja2.nodes.Template:
    """The template's syntax tree, parsed once per run: render reads its placeholders, asks whether it only prints
    a name, and renders it (twice only when a filter reads a name taken back from the user's files)."""
    return _parse(environment(), template)


@functools.lru_cache(maxsize=8)
def _compiled(template: Template) -> jinja2.Template:
    env = environment()
    # Compiled under the file's name so Jinja's rewritten tracebacks point at the template's own lines.
    code = env.compile(_parsed(template), name=template.path.name, filename=str(template.path))
    return env.template_class.from_code(env, code, env.make_globals(None))


def _parse(env: jinja2.Environment, template: Template) -> jinja2.nodes.Template:
    import jinja2

    try:
        return env.parse(template.text, name=template.path.name, filename=str(template.path))
    except jinja2.TemplateSyntaxError as exc:
        raise InputError(f"{template.path}:{exc.lineno}: template syntax error: {exc.message}") from None


@functools.lru_cache(maxsize=8)
def placeholders(template: Template) -> tuple[Placeholder, ...]:
    """Every free name the template reads (not loop variables or ``{% set %}`` names), with its lines (worked out
    once per template: Jinja2 finds them by generating the template's code)."""
    import jinja2.meta
    import jinja2.nodes

    ast = _parsed(template)
    free = jinja2.meta.find_undeclared_variables(ast)
    found = []
    for node in ast.find_all(jinja2.nodes.Name):
        if node.ctx == "load" and node.name in free:
            found.append(Placeholder(node.name, template.path, node.lineno))
    return tuple(sorted(set(found), key=lambda p: (p.line, p.name)))


def only_printed(template: Template, names: Iterable[str]) -> bool:
    """Whether the template only ever prints these names as they are (``${NAME}``): no filter, test, comparison or
    assignment reads them. Then rendering with a placeholder text for a name and replacing that text with the
    value afterwards gives exactly what rendering with the value gives (autoescape is off)."""
    import jinja2.nodes

    wanted = set(names)
    ast = _parsed(template)
    printed = sum(
        1
        for output in ast.find_all(jinja2.nodes.Output)
        for node in output.nodes
        if isinstance(node, jinja2.nodes.Name) and node.name in wanted
    )
    read = sum(1 for node in ast.find_all(jinja2.nodes.Name) if node.name in wanted)
    return printed == read


def missing(templates: Iterable[Template], known: Iterable[str]) -> tuple[Placeholder, ...]:
    """The placeholders of all ``templates`` with no value among ``known`` names."""
    names = set(known)
    return tuple(p for t in templates for p in placeholders(t) if p.name not in names)


def check_defined(templates: Iterable[Template], known: Iterable[str]) -> None:
    """Raise one ``InputError`` listing every placeholder, in every template, that has no value."""
    absent = missing(templates, known)
    if absent:
        listing = "\n  ".join(str(p) for p in absent)
        raise InputError(f"{len(absent)} placeholder(s) have no value (nothing was written):\n  {listing}")


def render(template: Template, context: Mapping[str, object]) -> str:
    """Render one template. Call ``check_defined`` first to report every missing name at once."""
    import jinja2

    try:
        return _compiled(template).render(context)
    except jinja2.TemplateSyntaxError as exc:
        raise InputError(f"{template.path}:{exc.lineno}: template syntax error: {exc.message}") from None
    except Exception as exc:
        # {% include %}/{% import %}/{% extends %} find no loader (templates stand alone), a filter fails on a
        # value, a division by zero, a range too big for the sandbox: one line naming the template and line, never
        # a traceback. The message is masked when shown (a value, even a secret, can appear in it).
        line = _template_line(sys.exc_info()[2], template.path)
        where = f"{template.path}:{line}" if line else str(template.path)
        raise InputError(f"{where}: {_explain(exc)}") from None


def _explain(exc: Exception) -> str:
    import jinja2

    if isinstance(exc, jinja2.TemplateError):
        return str(exc.message or exc)
    if isinstance(exc, TypeError) and "no loader" in str(exc):
        return "{% include %}, {% import %} and {% extends %} are not supported: each template stands alone"
    return f"the template failed at run time: {type(exc).__name__}: {exc}"


def _template_line(tb: TracebackType | None, path: Path) -> int | None:
    line = None
    while tb is not None:
        if tb.tb_frame.f_code.co_filename == str(path):
            line = tb.tb_lineno
        tb = tb.tb_next
    return line
