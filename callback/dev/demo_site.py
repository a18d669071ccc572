"""A sample company site ("Example Ltd") on its own origin, with the widget embedded.

`callback dev` runs it beside the service so a newcomer sees the widget as a visitor
would; the browser tests serve the same site from a thread. It is demo content only.

    python -m callback.dev.demo_site --port 5080 --web http://127.0.0.1:5000 --key wk_...
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from flask import Flask, render_template

# Off the Fetch standard's bad ports (5060, SIP, is one), which browsers refuse to open.
DEMO_SITE_PORT = 5080

# The page's own words: sample content of a pretend company, not the product's texts.
PAGES: dict[str, dict[str, Any]] = {
    "en": {
        "title": "Example Ltd · Pricing",
        "languages": "Languages",
        "heading": "Pricing",
        "lead": "Plans for every size of business. Questions? Let us call you.",
        "plans": [
            ("Starter", "£19 a month"),
            ("Business", "£49 a month"),
            ("Enterprise", "Ask us"),
        ],
        "cta": "Use the button in the corner and we will ring you back within a minute.",
        "footer": "Example Ltd is a demo site for the Callback widget.",
    },
    "pl": {
        "title": "Example Ltd · Cennik",
        "languages": "Języki",
        "heading": "Cennik",
        "lead": "Plany dla firm każdej wielkości. Pytania? Oddzwonimy.",
        "plans": [
            ("Start", "79 zł miesięcznie"),
            ("Firma", "199 zł miesięcznie"),
            ("Korporacja", "Zapytaj"),
        ],
        "cta": "Kliknij przycisk w rogu, a oddzwonimy w ciągu minuty.",
        "footer": "Example Ltd to strona demonstracyjna widżetu Callback.",
    },
}


def create_demo_site(web_url: str, widget_key: str, poll_ms: int | None = None) -> Flask:
    """Return the sample site's app, embedding the widget of `web_url` with `widget_key`."""
    site = Flask("callback_demo_site", root_path=str(Path(__file__).resolve().parent))

    def page(lang: str) -> str:
        return render_template(
            "demo_site.html",
            lang=lang,
            t=PAGES[lang],
            widget_src=f"{web_url.rstrip('/')}/widget.js",
            widget_key=widget_key,
            poll_ms=poll_ms,
        )

    site.add_url_rule("/", "home", lambda: page("en"))
    site.add_url_rule("/pl", "home_pl", lambda: page("pl"))
    return site


def main() -> None:
    """Serve the demo site (the `site` process of `callback dev`)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=DEMO_SITE_PORT)
    parser.add_argument("--web", required=True, help="base URL of the Callback web process")
    parser.add_argument("--key", required=True, help="public key of the widget to embed")
    args = parser.parse_args()
    create_demo_site(args.web, args.key).run(host=args.host, port=args.port)


if __name__ == "__main__":
    main()
