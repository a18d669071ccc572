"""Alert jobs (being written)."""

from __future__ import annotations

import logging

log = logging.getLogger(__name__)


def send_alert(event_id: int) -> int:
    raise NotImplementedError


def notify_endpoint_disabled(endpoint_id: int) -> None:
    """Tell the endpoint's owner it was turned off; until alerts are written, log it."""
    log.warning("webhook endpoint turned off after a day of failures: endpoint=%s", endpoint_id)
