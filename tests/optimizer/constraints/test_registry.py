"""The constraint-family registry: one list that build, assign, explain and re-plans derive from."""

from __future__ import annotations

import re
from pathlib import Path

import optimizer.check
from optimizer.model import build
from optimizer.model.constraints import registry
from optimizer.model.explain import CONTRACT_ONLY

CHECK_SOURCE = Path(optimizer.check.__file__).read_text(encoding="utf-8")


def check_plan_rule_codes() -> set[str]:
    """Return every rule code ``check_plan`` can report (the first argument of each ``Violation``)."""
    return set(re.findall(r'Violation\(\s*"([a-z_]+)"', CHECK_SOURCE))


def test_build_assign_and_explain_read_the_registry():
    assert tuple(entry.add for entry in registry.REGISTRY) == build.FAMILIES
    assert tuple(e.add for e in registry.REGISTRY if e.personal) == registry.PERSONAL_FAMILIES
    assert set(registry.PERSONAL_FAMILIES) <= set(build.FAMILIES)
    assert (registry.family("fte_contract").add,) == CONTRACT_ONLY


def test_family_names_match_their_modules_and_functions():
    for entry in registry.REGISTRY:
        assert entry.add.__name__ == f"add_{entry.name}"
        assert entry.add.__module__ == f"optimizer.model.constraints.{entry.name}"
    assert len({e.name for e in registry.REGISTRY}) == len(registry.REGISTRY)


def test_every_check_plan_rule_has_one_home_in_the_registry():
    listed = [code for e in registry.REGISTRY for code in e.check_rules]
    listed += [*registry.PREPARE_RULES, *registry.PLAN_RULES]
    assert len(listed) == len(set(listed)), "a rule code is listed twice"
    assert set(listed) == check_plan_rule_codes()


def test_replan_families_are_registered_and_marked():
    replan = {e.name for e in registry.REGISTRY if e.replan}
    assert replan == {"published_shifts", "employment_cost"}
