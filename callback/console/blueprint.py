"""The console's blueprint; the page modules beside this file add their routes to it."""

from __future__ import annotations

from flask import Blueprint, render_template
from werkzeug.exceptions import HTTPException

from callback.texts import N_

bp = Blueprint(
    "console",
    __name__,
    url_prefix="/console",
    template_folder="templates",
    static_folder="static",
    static_url_path="/assets",  # /console/static is Flask-Security's (its passkey scripts)
)
ERROR_TEXTS = {
    400: {"title": N_("console.error.400.title"), "body": N_("console.error.400.body")},
    403: {"title": N_("console.error.403.title"), "body": N_("console.error.403.body")},
    404: {"title": N_("console.error.404.title"), "body": N_("console.error.404.body")},
    405: {"title": N_("console.error.405.title"), "body": N_("console.error.405.body")},
}


@bp.errorhandler(HTTPException)
def error_page(error: HTTPException) -> tuple[str, int] | HTTPException:
    """A console error in the console's layout and language; others as Flask has them."""
    code = error.code or 500
    if code not in ERROR_TEXTS:
        return error
    return render_template("console/error.html", texts=ERROR_TEXTS[code]), code
