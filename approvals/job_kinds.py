"""The kinds of due job (the scheduler's table), named once for every module that plans them."""

from __future__ import annotations

REMIND = "remind"  # a decision's deadline nears
ESCALATE = "escalate"  # a decision's deadline passed
DEADLINE_JOBS = (REMIND, ESCALATE)
REMIND_EXPIRY = "expiry_remind"  # an exception ends soon
LAPSE = "lapse"  # an exception ends
EXPIRY_JOBS = (REMIND_EXPIRY, LAPSE)
REVIEW_DUE = "review_due"  # an active exception's periodic review falls due
END_DELEGATION = "delegation_end"  # a delegation reaches its end date
