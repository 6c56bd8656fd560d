"""Log lines carry no secrets or tokens, and user text cannot forge or reorder a line."""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator

import pytest

from bot.log_safety import REDACTED, escape, install_log_safety, redact

SECRET = "s3cr3t-Value~OfTheBotsClientSecret.42"
JWT = "eyJhbGciOiJSUzI1NiJ9.eyJpc3MiOiJodHRwczovL2FwaSJ9.c2lnbmF0dXJlLWJ5dGVz"


@pytest.mark.parametrize("text", [
    f"Authorization: Bearer {JWT}", f"{{'Authorization': 'Bearer {JWT}'}}",
    f"authorization=Bearer {JWT}", f"sent bearer {JWT}", f"token {JWT} in a message",
    f"client_secret={SECRET}&grant_type=client_credentials",
])
def test_tokens_and_secrets_are_redacted(text: str) -> None:
    safe = redact(text, [SECRET])
    assert JWT not in safe and SECRET not in safe and "c2lnbmF0dXJl" not in safe
    assert REDACTED in safe


def test_words_about_tokens_are_not_redacted() -> None:
    text = "no Bot Framework token in the Authorization header; the bearer token is not a JWT"
    assert redact(text, [SECRET]) == text


def test_escaping_keeps_one_line_and_shows_hidden_characters() -> None:
    forged = "EXC-1\r\n2026-11-27 10:00:00 INFO signoff approved by admin \u202eevil"
    safe = escape(forged)
    assert "\n" not in safe and "\r" not in safe and "\u202e" not in safe
    assert "\\r\\n2026-11-27" in safe and "\\u202e" in safe
    assert escape("plain text, Ünïcödé 🚀") == "plain text, Ünïcödé 🚀"


@pytest.fixture
def captured() -> Iterator[io.StringIO]:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s %(message)s"))
    logger = logging.getLogger("signoff.test")
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    uninstall = install_log_safety([SECRET])
    try:
        yield stream
    finally:
        uninstall()
        logger.removeHandler(handler)


def test_every_record_is_made_safe_whatever_the_handler(captured: io.StringIO) -> None:
    log = logging.getLogger("signoff.test")
    log.info("user said %s", "hi\nCRITICAL signoff forged")
    log.debug("headers %r", {"Authorization": f"Bearer {JWT}"})
    try:
        raise PermissionError(f"bad secret {SECRET}")
    except PermissionError:
        log.exception("refused")
    output = captured.getvalue()
    assert JWT not in output and SECRET not in output
    assert "\nCRITICAL signoff forged" not in output
    assert output.count("\nINFO ") + output.startswith("INFO ") == 1
    assert "PermissionError: bad secret [redacted]" in output  # the traceback is kept
