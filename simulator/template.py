"""Format-only templates for the customer's lines: ``{name}`` is replaced by a variable.

Nothing else is allowed -- no attribute access (``{a.b}``), no indexing (``{a[0]}``), no
conversions or format specs -- so a scenario file can never run code.  ``{{`` and ``}}``
write literal braces.
"""

from __future__ import annotations

import re
import string
from collections.abc import Mapping

_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


class TemplateError(ValueError):
    pass


def fields(template: str) -> list[str]:
    """The variable names a template uses, in order; raises TemplateError if malformed."""
    names: list[str] = []
    try:
        parsed = list(string.Formatter().parse(template))
    except ValueError as e:
        raise TemplateError(f"malformed template ({e}); write {{{{ and }}}} for literal braces") from None
    for _literal, name, spec, conv in parsed:
        if name is None:
            continue
        if conv or spec:
            raise TemplateError(f"'{{{name}{'!' + conv if conv else ''}{':' + spec if spec else ''}}}'"
                                ": only plain {name} placeholders are allowed")
        if not _NAME.match(name):
            raise TemplateError(f"'{{{name}}}': a placeholder must be a plain variable name "
                                "(letters, digits, _)")
        names.append(name)
    return names


def render(template: str, variables: Mapping[str, str]) -> str:
    """Fill a template; every placeholder must name a known variable."""
    out: list[str] = []
    for literal, name, _spec, _conv in string.Formatter().parse(template):
        out.append(literal)
        if name is not None:
            if name not in variables:
                raise TemplateError(f"unknown variable {{{name}}}")
            out.append(str(variables[name]))
    return "".join(out)
