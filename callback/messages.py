"""Visitor-facing messages, by error code and language."""

from __future__ import annotations

MESSAGES: dict[str, dict[str, str]] = {
    "en": {
        "phone_required": "Please enter your phone number.",
        "invalid_number": "That doesn't look like a phone number we can call. "
        "Please check it, including the country code if you are abroad.",
        "country_not_allowed": "Sorry, we can't call numbers in that country.",
        "number_type_not_allowed": "Sorry, we can't call this kind of number. "
        "Please give a mobile or landline number.",
        "consent_required": "Please agree to be called back so we can ring you.",
        "unknown_widget": "This callback form doesn't exist or has been removed.",
        "origin_not_allowed": "This site is not allowed to use this callback form.",
        "invalid_preferred_time": "Please choose the time as a date and time.",
        "preferred_time_in_past": "Please choose a time in the future.",
        "form_expired": "The form expired. Please try again.",
    },
    "pl": {
        "phone_required": "Podaj swój numer telefonu.",
        "invalid_number": "Ten numer nie wygląda na poprawny. Sprawdź go; "
        "jeśli jesteś za granicą, podaj numer kierunkowy kraju.",
        "country_not_allowed": "Niestety nie dzwonimy na numery z tego kraju.",
        "number_type_not_allowed": "Niestety nie możemy zadzwonić na taki numer. "
        "Podaj numer komórkowy lub stacjonarny.",
        "consent_required": "Zaznacz zgodę na oddzwonienie, abyśmy mogli zadzwonić.",
        "unknown_widget": "Ten formularz nie istnieje lub został usunięty.",
        "origin_not_allowed": "Ta strona nie może korzystać z tego formularza.",
        "invalid_preferred_time": "Wybierz datę i godzinę.",
        "preferred_time_in_past": "Wybierz termin w przyszłości.",
        "form_expired": "Formularz wygasł. Spróbuj ponownie.",
    },
}


def message(code: str, locale: str | None = None) -> str:
    """Return the message for `code` in the language of `locale`, falling back to English."""
    language = (locale or "en").split("-")[0].split("_")[0].lower()
    catalog = MESSAGES.get(language, MESSAGES["en"])
    return catalog.get(code) or MESSAGES["en"].get(code, code)
