"""Texts of the server-rendered form and status page (words in callback/texts)."""

from __future__ import annotations

from typing import Any

from callback.texts import N_, translate

FORM_KEYS = {
    "title": N_("form.title"),
    "intro": N_("form.intro"),
    "phone_label": N_("form.phone_label"),
    "consent": N_("form.consent"),
    "notice": N_("form.notice"),
    "privacy_link": N_("form.privacy_link"),
    "submit": N_("form.submit"),
    "status_title": N_("form.status_title"),
    "cancel": N_("form.cancel"),
}
STATUS_KEYS = {
    "scheduled": N_("status.scheduled"),
    "queued": N_("status.queued"),
    "calling_agent": N_("status.calling_agent"),
    "calling_visitor": N_("status.calling_visitor"),
    "connected": N_("status.connected"),
    "completed": N_("status.completed"),
    "failed": N_("status.failed"),
    "canceled": N_("status.canceled"),
    "expired": N_("status.expired"),
}


def form_texts(language: str | None) -> dict[str, Any]:
    """Return the form's texts in `language`, English when it is not offered."""
    texts: dict[str, Any] = {name: translate(key, language) for name, key in FORM_KEYS.items()}
    texts["statuses"] = status_texts(language)
    return texts


def status_texts(language: str | None) -> dict[str, str]:
    """Return what the visitor reads for each request status, in `language`."""
    return {status: translate(key, language) for status, key in STATUS_KEYS.items()}
