"""One logging set-up for web and workers; library loggers that print numbers stay quiet."""

from __future__ import annotations

import logging

from flask import Flask

# twilio.http_client logs request URLs and bodies at INFO, which carry phone numbers.
QUIET_LOGGERS = ("twilio.http_client", "twilio", "urllib3")


def init_app(app: Flask) -> None:
    """Set the service's log level and silence loggers that would print numbers."""
    logging.getLogger("callback").setLevel(app.config.get("LOG_LEVEL", "INFO"))
    for name in QUIET_LOGGERS:
        logging.getLogger(name).setLevel(logging.WARNING)
