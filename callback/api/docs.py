"""The API reference at /api/v1/docs: Swagger UI reading /api/v1/openapi.json.

Swagger UI's files come from the `flask-swagger-ui` package (a wheel that carries the
current Swagger UI build), served from our own origin: the page loads nothing from a
CDN, so it works on a closed network and under our pages' CSP (`script-src 'self'`).
That package's own blueprint is not used: its page starts Swagger UI from an inline
<script>, which our CSP blocks (and a hash or 'unsafe-inline' would weaken the policy
for one page). Our page is a template without inline script, and Swagger UI is started
by `api-docs.js`, a file of ours beside this module.
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

from flask import Blueprint, Flask, Response, abort, render_template, send_from_directory

bp = Blueprint(
    "api_docs",
    __name__,
    url_prefix="/api/v1/docs",
    template_folder="templates",
)

SWAGGER_UI_DIR = Path(str(files("flask_swagger_ui") / "dist"))
OUR_DIR = Path(__file__).resolve().parent / "docs_static"
# Only what the page loads: the package also carries an OAuth redirect page and other
# builds we do not use, and nothing unused is served.
ASSETS = {
    "swagger-ui.css": SWAGGER_UI_DIR,
    "swagger-ui-bundle.js": SWAGGER_UI_DIR,
    "favicon-32x32.png": SWAGGER_UI_DIR,
    "api-docs.js": OUR_DIR,
}
# The files change only with a release; a day's caching spares a reload 2 MB of script.
ASSET_MAX_AGE = 86400


@bp.get("")
def page() -> str:
    return render_template("api_docs.html")


@bp.get("/assets/<name>")
def asset(name: str) -> Response:
    folder = ASSETS.get(name)
    if folder is None:
        abort(404)
    response = send_from_directory(folder, name, max_age=ASSET_MAX_AGE)
    # Set here: everything else under /api/ is answered with no-store.
    response.cache_control.public = True
    return response


def init_app(app: Flask) -> None:
    """Serve the page and its assets."""
    app.register_blueprint(bp)
