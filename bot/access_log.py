"""The HTTP access log: every request, only the ones that went wrong or slow, or none.

A line per request costs about 4 % of a decision turn's CPU (aiohttp formats it, the log's
safety filter scans it) and says little a turn does not: Teams retries what failed, and
every decision is in the audit log. By default (`SIGNOFF_ACCESS_LOG=problems`) a line is
written for an answer of 400 or more, or one that took `SLOW_SECONDS` or longer; `all`
writes aiohttp's usual line for every request, `off` none.
"""

from __future__ import annotations

from typing import Any

from aiohttp.abc import AbstractAccessLogger
from aiohttp.web_log import AccessLogger

MODES = ("problems", "all", "off")
SLOW_SECONDS = 1.0


class ProblemAccessLogger(AccessLogger):
    """aiohttp's access log, for answers of 400 or more and slow requests only."""

    def log(self, request: Any, response: Any, time: float) -> None:
        if response.status >= 400 or time >= SLOW_SECONDS:
            super().log(request, response, time)


def access_log_options(mode: str) -> dict[str, Any]:
    """`web.run_app` keyword arguments for the mode (one of MODES)."""
    if mode == "off":
        return {"access_log": None}
    logger: type[AbstractAccessLogger] = AccessLogger if mode == "all" else ProblemAccessLogger
    return {"access_log_class": logger}
