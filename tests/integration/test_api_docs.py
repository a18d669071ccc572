"""The API reference at /api/v1/docs: served whole from our origin, under our CSP."""

from __future__ import annotations

from html.parser import HTMLParser
from urllib.parse import urlsplit

from flask.testing import FlaskClient

from tests.integration.test_security_headers import csp


class _Assets(HTMLParser):
    """Collects every <script src> and <link href> of a page."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []
        self.inline_scripts = 0
        self.openapi_url: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag == "script":
            if found.get("src"):
                self.urls.append(str(found["src"]))
            else:
                self.inline_scripts += 1
        if tag == "link" and found.get("href"):
            self.urls.append(str(found["href"]))
        if found.get("data-openapi-url"):
            self.openapi_url = found["data-openapi-url"]


def _page(client: FlaskClient) -> _Assets:
    response = client.get("/api/v1/docs")
    assert response.status_code == 200
    assert response.mimetype == "text/html"
    assets = _Assets()
    assets.feed(response.get_data(as_text=True))
    return assets


def test_the_reference_page_loads_only_files_of_our_own_origin(client: FlaskClient) -> None:
    assets = _page(client)
    assert any(url.endswith(".js") for url in assets.urls)
    assert any(url.endswith(".css") for url in assets.urls)
    for url in assets.urls:
        parts = urlsplit(url)
        assert not parts.scheme, url  # a path on this origin, not a URL elsewhere
        assert not parts.netloc, url
        with client.get(url) as response:  # a file's answer holds it open until closed
            assert response.status_code == 200, url
            assert response.get_data(), url


def test_the_reference_page_shows_the_openapi_document(client: FlaskClient) -> None:
    assets = _page(client)
    assert assets.openapi_url == "/api/v1/openapi.json"
    assert client.get(assets.openapi_url).get_json()["openapi"].startswith("3.")


def test_the_reference_page_runs_under_the_pages_csp(client: FlaskClient) -> None:
    # No inline script: the pages' policy runs scripts only from our origin.
    assert _page(client).inline_scripts == 0
    policy = csp(client.get("/api/v1/docs"))
    assert policy["script-src"] == "'self'"
    assert policy["connect-src"] == "'self'"
    assert policy["frame-ancestors"] == "'none'"


def test_only_the_files_the_page_uses_are_served(client: FlaskClient) -> None:
    assert client.get("/api/v1/docs/assets/oauth2-redirect.html").status_code == 404
    assert client.get("/api/v1/docs/assets/..%2Fflask_swagger_ui.py").status_code == 404
    with client.get("/api/v1/docs/assets/swagger-ui-bundle.js") as script:
        assert script.mimetype == "text/javascript"
        assert "public" in script.headers["Cache-Control"]
