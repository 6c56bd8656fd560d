"""Every log line is safe to write and to read: no secrets, no tokens, no forged lines.

Installed once by the process's entry point (`app.main`), as a log record factory, so it holds
for every logger and every handler, the SDK's and aiohttp's included:

- the bot's secrets (its client secret) are replaced by `[redacted]`, wherever they appear;
- `Bearer <token>`, `Authorization: <anything>` and anything shaped like a JWT are redacted;
- CR, LF and every other control, invisible or direction-changing character in the message is
  written as an escape (`\\n`, `\\u202e`), so text a user typed cannot start a new log line or
  reorder one. Tracebacks keep their lines, with secrets and tokens redacted.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterable
from typing import Any

from approvals.hidden_text import is_hidden

REDACTED = "[redacted]"
_CREDENTIALS = re.compile(
    r"(?i)(authorization[\"']?\s*[:=]\s*[\"']?)[^\s\"',}]+(\s+[^\s\"',}]+)?"
    r"|(bearer\s+)[A-Za-z0-9._~+/=-]{16,}"  # a token, not the word in "bearer token"
)
_JWT = re.compile(r"eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*")
_ESCAPES = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}
MIN_SECRET_LENGTH = 6  # shorter "secrets" would redact ordinary words


def _credential(match: re.Match[str]) -> str:
    return (match.group(1) or match.group(3)) + REDACTED


def redact(text: str, secrets: Iterable[str] = ()) -> str:
    """`text` without the secrets, bearer tokens, Authorization values and JWTs it held."""
    for secret in secrets:
        if len(secret) >= MIN_SECRET_LENGTH:
            text = text.replace(secret, REDACTED)
    text = _CREDENTIALS.sub(_credential, text)
    return _JWT.sub(REDACTED, text)


def escape(text: str) -> str:
    """One line: CR/LF, tabs and invisible or direction-changing characters as escapes."""
    if text.isprintable():
        return text
    return "".join(
        _ESCAPES.get(char) or (f"\\u{ord(char):04x}" if is_hidden(char) else char)
        for char in text
    )


def install_log_safety(secrets: Iterable[str] = ()) -> Callable[[], None]:
    """Make every log record safe from now on; returns a function that undoes it (for tests)."""
    known = tuple(s for s in secrets if s and len(s) >= MIN_SECRET_LENGTH)
    previous = logging.getLogRecordFactory()

    def safe_record(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = previous(*args, **kwargs)
        try:
            message = record.getMessage()
        except (TypeError, ValueError):  # a bad format string: logging reports it on emit
            return record
        record.msg, record.args = escape(redact(message, known)), None
        if record.exc_info and record.exc_info[1] is not None:
            record.exc_text = redact(logging.Formatter().formatException(record.exc_info), known)
        return record

    logging.setLogRecordFactory(safe_record)

    def uninstall() -> None:
        if logging.getLogRecordFactory() is safe_record:
            logging.setLogRecordFactory(previous)

    return uninstall
