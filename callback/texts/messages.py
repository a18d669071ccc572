"""Visitor-facing messages, by error code and language (texts in callback/texts)."""

from __future__ import annotations

from flask import request

from callback.texts import DEFAULT_LANGUAGE, LANGUAGES, N_, offered, translate

# The API's visitor-facing error codes; each has a text "error.<code>" in every catalog.
MESSAGE_KEYS = {
    "phone_required": N_("error.phone_required"),
    "invalid_number": N_("error.invalid_number"),
    "country_not_allowed": N_("error.country_not_allowed"),
    "number_type_not_allowed": N_("error.number_type_not_allowed"),
    "consent_required": N_("error.consent_required"),
    "unknown_widget": N_("error.unknown_widget"),
    "origin_not_allowed": N_("error.origin_not_allowed"),
    "invalid_preferred_time": N_("error.invalid_preferred_time"),
    "preferred_time_in_past": N_("error.preferred_time_in_past"),
    "form_expired": N_("error.form_expired"),
    "rate_limited": N_("error.rate_limited"),
    "daily_cap_reached": N_("error.daily_cap_reached"),
    "slot_unavailable": N_("error.slot_unavailable"),
    "no_opening_soon": N_("error.no_opening_soon"),
    "malformed_json": N_("error.malformed_json"),
    "not_found": N_("error.not_found"),
    # Werkzeug's names for the HTTP errors a visitor's browser can meet on its own.
    "request_entity_too_large": N_("error.request_entity_too_large"),
    "internal_server_error": N_("error.internal_server_error"),
    "already_requested": N_("error.already_requested"),
}
SERVER_ERROR = "internal_server_error"
# Not an error: what a submission of a number with a pending request is told.
ALREADY_REQUESTED = "already_requested"


def message(code: str, locale: str | None = None) -> str:
    """Return the message for `code` in the language of `locale`, falling back to English."""
    key = MESSAGE_KEYS.get(code)
    return translate(key, locale) if key else code


def messages(locale: str | None = None) -> dict[str, str]:
    """Return every visitor-facing message in the language of `locale`, by code."""
    return {code: translate(key, locale) for code, key in MESSAGE_KEYS.items()}


def request_language(fallback: str | None = None) -> str:
    """Return the language to answer this request in: ?lang=, Accept-Language, `fallback`.

    For answers given before the body is read (origin, rate limit, size): a submission's
    own `locale` field, where it was read, wins over all of these (`callback.lifecycle.intake`).
    """
    return (
        offered(request.args.get("lang"))
        or request.accept_languages.best_match(LANGUAGES)
        or offered(fallback)
        or DEFAULT_LANGUAGE
    )


def http_error_message(code: str, status: int) -> str | None:
    """Return a visitor's text for an HTTP error (any 5xx reads as a server error), or None."""
    if code not in MESSAGE_KEYS and status >= 500:
        code = SERVER_ERROR
    return message(code, request_language()) if code in MESSAGE_KEYS else None
