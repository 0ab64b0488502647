"""Turn pydantic validation errors into one readable line naming the field."""

from __future__ import annotations

from pydantic import ValidationError


def field_path(loc: tuple[int | str, ...]) -> str:
    """Render a pydantic ``loc`` as ``workforce.workers[3].contract``."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out or "(input)"


def describe_validation_error(exc: ValidationError, prefix: str = "") -> str:
    """Return ``field: problem`` for the first error, with a count of the others."""
    errors = exc.errors(include_url=False)
    first = errors[0]
    loc = tuple(p for p in first["loc"] if p not in ("function-after",)) if first["loc"] else ()
    path = field_path(loc)
    if prefix:
        path = f"{prefix}.{path}" if loc else prefix
    msg = str(first["msg"]).removeprefix("Value error, ")
    more = f" (and {len(errors) - 1} more problem{'s' if len(errors) > 2 else ''})" if len(errors) > 1 else ""
    return f"{path}: {msg}{more}"
