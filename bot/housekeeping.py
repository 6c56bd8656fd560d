"""Housekeeping: rows that are only needed for a while are deleted once past their retention,
a batch per round. So far that is the processed activities, which grew with every click for as
long as the bot ran. (Sent outbox rows, finished jobs and everything of evidence are kept.)

Processed activities (storage/processed_activities.py) let a delivery of the same activity act
once. Teams delivers a copy within seconds or minutes of the first, never weeks later, and a
click on an old card is answered from the request's state ("already approved by ..."), not
from this table: 30 days is far past any redelivery. The audit log, decisions and requests are
evidence and are never swept.
"""

from __future__ import annotations

from datetime import timedelta

from approvals.ports import Clock
from storage.processed_activities import ProcessedActivityStore

PROCESSED_ACTIVITY_RETENTION = timedelta(days=30)
BATCH = 500  # rows per transaction
SWEEP_SECONDS = 3600.0  # between sweeps once nothing is left past its retention


class Housekeeping:
    def __init__(self, activities: ProcessedActivityStore, clock: Clock,
                 retention: timedelta = PROCESSED_ACTIVITY_RETENTION, batch: int = BATCH) -> None:
        self._activities = activities
        self._clock = clock
        self._retention = retention
        self.batch = batch

    async def run_once(self) -> int:
        """Delete one batch of what is past its retention; how many rows went (a full batch:
        the poller runs again at once)."""
        return await self._activities.forget_before(self._clock.now() - self._retention,
                                                    self.batch)
