"""One logging set-up for web and workers: JSON in production, phone numbers masked.

Every record passes `PhoneMaskFilter` when it is created (a record factory), so the
mask holds for every handler: ours, RQ's, gunicorn's and pytest's capture alike.
"""

from __future__ import annotations

import json
import logging
import sys
from datetime import UTC, datetime
from typing import Any

from flask import Flask

from callback.phones.masking import has_phone_shaped, mask_phone_shaped

# twilio.http_client logs request URLs and bodies at INFO, which carry phone numbers.
QUIET_LOGGERS = ("twilio.http_client", "twilio", "urllib3")
SERVICE_LOGGERS = ("callback", "webhooks", "workers")
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
# Attributes every LogRecord has; anything else was passed in `extra` and is logged too.
STANDARD_ATTRIBUTES = frozenset(vars(logging.makeLogRecord({}))) | {"message", "asctime"}


class PhoneMaskFilter(logging.Filter):
    """Replace phone-shaped text in the message and traceback; mark records it changed."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except (TypeError, ValueError):
            # Arguments that do not fit the format: the handler reports that when it
            # formats the record, and nothing was substituted that could hold a number.
            return True
        if has_phone_shaped(message):
            record.msg, record.args = mask_phone_shaped(message), None
            record.phone_masked = True
        if record.exc_info and not record.exc_text:
            # Formatted now so the traceback text can be masked before any handler sees it.
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text and has_phone_shaped(record.exc_text):
            record.exc_text = mask_phone_shaped(record.exc_text)
            record.phone_masked = True
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, extras, traceback."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        entry.update(
            (key, value) for key, value in vars(record).items() if key not in STANDARD_ATTRIBUTES
        )
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            entry["traceback"] = record.exc_text
        # Extras are other people's values: mask the whole line, not only the message.
        return mask_phone_shaped(json.dumps(entry, default=str))


class _StderrHandler(logging.StreamHandler):
    """Writes to whatever sys.stderr is at the time (test runners swap it)."""

    def __init__(self) -> None:
        super().__init__(sys.stderr)

    @property
    def stream(self) -> Any:
        return sys.stderr

    @stream.setter
    def stream(self, _value: Any) -> None:
        pass


def _install_record_factory() -> None:
    current = logging.getLogRecordFactory()
    if getattr(current, "masks_phones", False):
        return
    mask = PhoneMaskFilter()

    def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = current(*args, **kwargs)
        mask.filter(record)
        return record

    factory.masks_phones = True  # type: ignore[attr-defined]
    logging.setLogRecordFactory(factory)


def init_app(app: Flask) -> None:
    """Send logs to stderr (JSON in production), mask numbers, quiet chatty libraries."""
    _install_record_factory()
    root = logging.getLogger()
    for handler in [h for h in root.handlers if getattr(h, "callback_handler", False)]:
        root.removeHandler(handler)
    handler = _StderrHandler()
    handler.callback_handler = True  # type: ignore[attr-defined]
    handler.addFilter(PhoneMaskFilter())
    production = app.config.get("ENV") == "production"
    handler.setFormatter(JsonFormatter() if production else logging.Formatter(TEXT_FORMAT))
    root.addHandler(handler)
    level = app.config["LOG_LEVEL"]
    for name in SERVICE_LOGGERS:
        logging.getLogger(name).setLevel(level)
    for name in QUIET_LOGGERS:
        logging.getLogger(name).setLevel(logging.WARNING)
