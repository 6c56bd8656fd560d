"""How long to wait before trying again: exponential backoff with jitter."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

Random = Callable[[], float]  # uniform in [0, 1), injected so tests are exact


@dataclass(frozen=True)
class RetryPolicy:
    max_tries: int = 6
    base_seconds: float = 2.0
    cap_seconds: float = 300.0

    def delay(self, attempt: int, random: Random) -> float:
        """Seconds to wait after failed try number `attempt` (1-based).

        Half of the exponential step is fixed and the other half random ("equal jitter"): many
        messages failing together spread out, yet none comes back sooner than half the step.
        """
        step = min(self.cap_seconds, self.base_seconds * 2.0 ** (attempt - 1))
        return step / 2 + random() * step / 2

    def exhausted(self, attempts: int) -> bool:
        return attempts >= self.max_tries
