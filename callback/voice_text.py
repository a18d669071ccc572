"""What the agent hears, in the widget's language."""

from __future__ import annotations

from urllib.parse import urlsplit

VOICE_TEXTS: dict[str, dict[str, str]] = {
    "en": {
        "whisper": "Callback request from {site}, {page}. "
        "Press 1 to connect, any other key to pass.",
        "unknown_page": "no page given",
        "no_key": "No key pressed. Passing this callback to a colleague. Goodbye.",
        "passed": "Passed to a colleague. Goodbye.",
        "connecting": "Connecting you to the visitor now.",
        "taken": "This callback has been taken or withdrawn. Goodbye.",
        "visitor_unavailable": "The visitor did not answer. We will try again later. Goodbye.",
        "page_suffix": "{name} page",
        "home_page": "home page",
    },
    "pl": {
        "whisper": "Prośba o oddzwonienie ze strony {site}, {page}. "
        "Naciśnij 1, aby połączyć, lub inny klawisz, aby przekazać.",
        "unknown_page": "strona nieznana",
        "no_key": "Nie wybrano klawisza. Przekazuję prośbę dalej. Do widzenia.",
        "passed": "Przekazano dalej. Do widzenia.",
        "connecting": "Łączę z klientem.",
        "taken": "Ta prośba została już obsłużona lub wycofana. Do widzenia.",
        "visitor_unavailable": "Klient nie odebrał. Spróbujemy później. Do widzenia.",
        "page_suffix": "strona {name}",
        "home_page": "strona główna",
    },
}
SAY_LANGUAGES = {"en": "en-GB", "pl": "pl-PL"}


def _catalog(language: str) -> dict[str, str]:
    return VOICE_TEXTS.get(language.split("-")[0].lower(), VOICE_TEXTS["en"])


def text(key: str, language: str, **values: str) -> str:
    """Return the spoken text `key` in `language`, filled with `values`."""
    return _catalog(language)[key].format(**values)


def say_language(language: str) -> str:
    """Return the `<Say language>` value for a widget language."""
    return SAY_LANGUAGES.get(language.split("-")[0].lower(), "en-GB")


def describe_page(page_url: str | None, language: str) -> tuple[str | None, str | None]:
    """Return (site, page) as spoken: ("example.com", "pricing page")."""
    if not page_url:
        return None, None
    parts = urlsplit(page_url)
    site = parts.hostname.removeprefix("www.") if parts.hostname else None
    segments = [s for s in parts.path.split("/") if s]
    if not segments:
        return site, text("home_page", language)
    name = segments[-1].rsplit(".", 1)[0].replace("-", " ").replace("_", " ")
    return site, text("page_suffix", language, name=name)
