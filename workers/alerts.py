"""Alert jobs (being written)."""

from __future__ import annotations


def send_alert(event_id: int) -> int:
    raise NotImplementedError
