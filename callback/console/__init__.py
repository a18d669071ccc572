"""The web console for owners, managers and agents: server-rendered, English and Polish.

One module per area (home, join, me, ...), each adding its pages to the `console`
blueprint; access.py says who may open what, auth.py how people sign in.
"""

from __future__ import annotations

from typing import Any

from flask import Flask, current_app
from flask_babel import get_locale
from flask_login import current_user

from callback.console import formatting
from callback.texts import N_

# The console's menu: which pages each role sees, in order.
NAVIGATION: dict[str, list[tuple[str, str]]] = {
    "owner": [
        ("console.home", N_("console.nav.home")),
        ("console.widgets", N_("console.nav.widgets")),
        ("console.agents", N_("console.nav.agents")),
        ("console.requests", N_("console.nav.requests")),
        ("console.reports", N_("console.nav.reports")),
        ("console.accounts", N_("console.nav.accounts")),
        ("console.audit", N_("console.nav.audit")),
        ("console.me", N_("console.nav.me")),
    ],
    "manager": [
        ("console.home", N_("console.nav.home")),
        ("console.widgets", N_("console.nav.widgets")),
        ("console.agents", N_("console.nav.agents")),
        ("console.requests", N_("console.nav.requests")),
        ("console.reports", N_("console.nav.reports")),
        ("console.audit", N_("console.nav.audit")),
        ("console.me", N_("console.nav.me")),
    ],
    "agent": [
        ("console.home", N_("console.nav.my_calls")),
        ("console.me", N_("console.nav.me")),
    ],
}


def init_app(app: Flask) -> None:
    """Add the console (sign-in included) to `app`; after security.init_app (the limiter)."""
    # The page modules add their routes to the blueprint when imported.
    from callback.console import (  # noqa: F401, PLC0415
        access,
        accounts,
        agents,
        audit,
        auth,
        blocklist,
        endpoint_pages,
        home,
        integrations,
        join,
        language,
        me,
        reports,
        request_detail,
        requests,
        widgets,
    )
    from callback.console.blueprint import bp  # noqa: PLC0415

    app.jinja_env.add_extension("jinja2.ext.do")
    app.register_blueprint(bp)
    language.init_app(app)
    auth.init_app(app)
    app.context_processor(_console_context)


def _console_context() -> dict[str, Any]:
    def console_nav() -> list[tuple[str, str]]:
        role = current_user.role if current_user.is_authenticated else ""
        return [
            (endpoint, key)
            for endpoint, key in NAVIGATION.get(role, [])
            if endpoint in current_app.view_functions
        ]

    return {
        "console_nav": console_nav,
        "console_lang": lambda: str(get_locale() or "en"),
        **formatting.helpers(),
    }
