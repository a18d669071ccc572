"""What the widget shows, in the visitor's language; the words live in callback/texts."""

from __future__ import annotations

from typing import Any

from callback.texts import N_, translate
from callback.texts.form import FORM_KEYS, status_texts

WIDGET_KEYS = {
    "open": N_("widget.open"),
    "close": N_("widget.close"),
    "country": N_("widget.country"),
    "phone_hint": N_("widget.phone_hint"),
    "closed": N_("widget.closed"),
    "time": N_("widget.time"),
    "asap": N_("widget.asap"),
    "sending": N_("widget.sending"),
    "scheduled_at": N_("widget.scheduled_at"),
    "calling": N_("widget.calling"),
    "network_error": N_("widget.network_error"),
    "server_error": N_("widget.server_error"),
    "outcome_visitor": N_("widget.outcome_visitor"),
    "outcome_no_agent": N_("widget.outcome_no_agent"),
    "again": N_("widget.again"),
    # The display rules' nudge beside the button, and the button that dismisses it.
    "nudge": N_("widget.nudge"),
    "dismiss": N_("widget.dismiss"),
}
# Texts of the form page the widget shares, so the two never drift apart.
SHARED_FORM_TEXTS = ("title", "intro", "phone_label", "consent", "privacy_link", "submit", "cancel")
# What a widget's owner may reword per language (theme_texts): the visible labels.
OVERRIDABLE = ("open", "title", "intro", "phone_label", "consent", "submit", "closed", "time")


def widget_texts(
    language: str, site_name: str, overrides: dict[str, Any] | None = None
) -> dict[str, Any]:
    """Return every text the widget shows in `language`, with the owner's rewording."""
    texts: dict[str, Any] = {name: translate(key, language) for name, key in WIDGET_KEYS.items()}
    texts.update({name: translate(FORM_KEYS[name], language) for name in SHARED_FORM_TEXTS})
    texts["intro"] = texts["intro"].format(site_name)
    for name, value in ((overrides or {}).get(language) or {}).items():
        if name in OVERRIDABLE and isinstance(value, str) and value.strip():
            texts[name] = value.strip()
    texts["statuses"] = status_texts(language)
    return texts
