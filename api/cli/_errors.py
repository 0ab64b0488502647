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


def validation_problem(exc: ValidationError) -> str:
    """Return the first error's problem (without its field), with a count of the others."""
    errors = exc.errors(include_url=False)
    msg = str(errors[0]["msg"]).removeprefix("Value error, ")
    more = f" (and {len(errors) - 1} more problem{'s' if len(errors) > 2 else ''})" if len(errors) > 1 else ""
    return f"{msg}{more}"


def describe_validation_error(exc: ValidationError, prefix: str = "") -> str:
    """Return ``field: problem`` for the first error, with a count of the others."""
    first = exc.errors(include_url=False)[0]
    loc = tuple(p for p in first["loc"] if p not in ("function-after",)) if first["loc"] else ()
    path = field_path(loc)
    if prefix:
        path = f"{prefix}.{path}" if loc else prefix
    problem = validation_problem(exc)
    if not loc and not prefix:
        # a rule across fields: its message starts with the fields it names ("staff[0].contract 'x' ...")
        return problem
    return f"{path}: {problem}"


EXIT_NO_PLAN = 3
"""Exit code of ``plan`` and ``replan`` when the solver found no plan (the time limit ran out first, or none
exists); nothing that looks like a plan is printed or written."""


def no_plan_message(status: str, wall_time_s: float, time_limit_s: float, what: str = "plan") -> str:
    """Return the one line that reports a run without a plan, with what to do about it."""
    hint = {
        "UNKNOWN": f"the {time_limit_s:g} s time limit ran out first; raise --time-limit-s",
        "INFEASIBLE": "no plan meets the hard rules (contracts, locks, availability)",
        "MODEL_INVALID": "the model was invalid, a bug: please report it with --debug output",
    }.get(status, "")
    return f"no {what} found (solver status {status} after {wall_time_s:.1f} s)" + (f": {hint}" if hint else "")
