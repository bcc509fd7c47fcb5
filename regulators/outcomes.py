"""Pure rules of appeal handling (SPEC §6). No Django import."""

from __future__ import annotations

from datetime import datetime

# Outcomes that need the company's report to have gone to the regulator first: the regulator
# decides mediation, fault and resolution on the strength of that report.
OUTCOMES_AFTER_REPORT = frozenset({"mediated", "resolved", "not_at_fault", "mediation_failed"})
# Outcomes possible at any time: the user withdraws, or the regulator declines the appeal.
OUTCOMES_ANY_TIME = frozenset({"withdrawn", "not_accepted"})
# A mediation can only succeed or fail once one was proposed.
OUTCOMES_NEEDING_MEDIATION = frozenset({"mediated", "mediation_failed"})


def outcome_refusal(*, state: str, outcome: str) -> str | None:
    """Return why an open appeal in `state` cannot be closed with `outcome`, or None if it can."""
    if outcome in OUTCOMES_ANY_TIME:
        return None
    if outcome not in OUTCOMES_AFTER_REPORT:
        return "办结结果无效。"
    if state in ("received", "investigating"):
        return "企业尚未向监管部门报送处理情况报告，只能以“用户撤回申诉”或“不予受理”办结。"
    if outcome in OUTCOMES_NEEDING_MEDIATION and state != "mediation":
        return "监管部门尚未提出调解方案，不能以调解结果办结。"
    return None


def is_on_time(done_at: datetime | None, due: datetime | None) -> bool | None:
    """Return whether a step was done by its deadline; None when either is unknown."""
    if done_at is None or due is None:
        return None
    return done_at <= due
