"""Texts of the server-rendered form and status page, by language."""

from __future__ import annotations

from typing import Any

FORM_TEXTS: dict[str, dict[str, Any]] = {
    "en": {
        "title": "Get a call back",
        "intro": "Leave your number and {} will call you back in moments.",
        "phone_label": "Your phone number",
        "consent": "I agree to be called back about my enquiry.",
        "notice": "We use your number only to call you back (art. 6(1)(b) GDPR) and "
        "delete it as soon as the call is over, or within 24 hours at most.",
        "privacy_link": "Privacy policy",
        "submit": "Call me back",
        "status_title": "Your callback",
        "cancel": "Cancel my request",
        "statuses": {
            "scheduled": "We'll call you at",
            "queued": "Waiting for an agent…",
            "calling_agent": "Calling you now: an agent is being connected.",
            "calling_visitor": "An agent is joining: your phone will ring.",
            "connected": "Connected.",
            "completed": "Call finished. Thank you!",
            "failed": "Sorry, we couldn't reach you. Please try again later.",
            "canceled": "Your request was cancelled and your number deleted.",
            "expired": "Your request expired and your number was deleted.",
        },
    },
    "pl": {
        "title": "Zamów rozmowę",
        "intro": "Zostaw numer, a {} oddzwoni do Ciebie za chwilę.",
        "phone_label": "Twój numer telefonu",
        "consent": "Zgadzam się na oddzwonienie w sprawie mojego zapytania.",
        "notice": "Używamy numeru wyłącznie, by oddzwonić (art. 6 ust. 1 lit. b RODO), "
        "i usuwamy go zaraz po rozmowie, najpóźniej po 24 godzinach.",
        "privacy_link": "Polityka prywatności",
        "submit": "Zadzwońcie do mnie",
        "status_title": "Twoja prośba o kontakt",
        "cancel": "Anuluj prośbę",
        "statuses": {
            "scheduled": "Zadzwonimy o",
            "queued": "Czekamy na konsultanta…",
            "calling_agent": "Dzwonimy: łączymy konsultanta.",
            "calling_visitor": "Konsultant dołącza: zaraz zadzwoni Twój telefon.",
            "connected": "Połączono.",
            "completed": "Rozmowa zakończona. Dziękujemy!",
            "failed": "Niestety nie udało się połączyć. Spróbuj ponownie później.",
            "canceled": "Prośba anulowana, numer usunięty.",
            "expired": "Prośba wygasła, numer usunięty.",
        },
    },
}


def form_texts(language: str | None) -> dict[str, Any]:
    """Return the form's texts in `language`, English when it is not offered."""
    return FORM_TEXTS.get((language or "en").split("-")[0].lower(), FORM_TEXTS["en"])
