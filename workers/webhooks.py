"""Webhook delivery jobs (being written)."""

from __future__ import annotations


def deliver_webhooks(endpoint_id: int, request_id: str | None) -> int:
    raise NotImplementedError
