"""When an RMA whose parcel never arrived expires (pure).

A customer has ``return_by_days`` (:class:`maillon.returns.config.ReturnSettings`) to send
the parcel, counted from the latest step that asked them to: the label's issue for an RMA
with a label (a prepaid label's validity), the approval for an approved one, the request for
one nobody has decided on yet. A request is also given its whole return window (the policy's
window of each line, from delivery; a merchant-fault reason has the legal guarantee's), so a
request the merchant left unanswered never lapses while the customer could still have asked.
Once the deadline's local day (the policy's time zone) is over, the RMA expires: it is
cancelled (nobody refused it; it lapsed), and the customer is told once.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, timedelta

from maillon.returns.config import OTHER_REASON
from maillon.returns.model import ReturnStatus
from maillon.returns.policy import ReturnPolicy

__all__ = ["EXPIRING", "deadline", "window_last_day"]

EXPIRING = (ReturnStatus.REQUESTED, ReturnStatus.APPROVED, ReturnStatus.LABEL_ISSUED)
"""The statuses of RMAs waiting for their parcel, which may expire."""


def window_last_day(
    policy: ReturnPolicy, delivered_at: datetime | None, lines: Iterable[tuple[str, str]]
) -> date | None:
    """Return the last local day of the return window of an RMA's ``lines`` (``(category,
    reason code)`` each; an unknown code counts as ``other``): the latest of the lines'
    windows from ``delivered_at``, or ``None`` when undelivered or without lines."""
    if delivered_at is None:
        return None
    days = [
        policy.window_days(category, policy.reasons.get(code, OTHER_REASON))
        for category, code in lines
    ]
    return policy.last_day(delivered_at, max(days)) if days else None


def deadline(
    *,
    status: ReturnStatus,
    started_at: datetime,
    return_by_days: int,
    policy: ReturnPolicy,
    window_ends: date | None = None,
) -> date | None:
    """Return the last local day the parcel of an RMA in ``status`` may arrive, counted from
    ``started_at`` (its label's issue, approval or request, see the module), or ``None`` when
    it does not expire (another status, or ``return_by_days`` 0). A request's deadline is
    never before ``window_ends``. Raises ValueError for a negative ``return_by_days``."""
    if return_by_days < 0:
        raise ValueError(f"return_by_days = {return_by_days} < 0 not understood.")
    if status not in EXPIRING or return_by_days == 0:
        return None
    last = policy.local_date(started_at) + timedelta(days=return_by_days)
    if status is ReturnStatus.REQUESTED and window_ends is not None:
        last = max(last, window_ends)
    return last
