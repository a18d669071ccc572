"""Security headers on every response: CSP, nosniff, referrer, HSTS over HTTPS.

The form pages under /w/ may be framed, but only by the widget's own allowed origins
(CSP frame-ancestors); every other page may not be framed at all.
"""

from __future__ import annotations

import uuid

from flask import Flask, Response, g, request

from callback import db
from callback.models import CallbackRequest, Widget

HSTS = "max-age=31536000; includeSubDomains"
# The pages carry one inline <style> block and no inline script (styles cannot run
# code), except the console's sign-in pages for passkeys: their inline scripts carry
# the per-request nonce in `g.csp_nonce`, and only those run.
_PAGE_POLICY = (
    "default-src 'none'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
    "script-src 'self'{nonce}; connect-src 'self'; form-action 'self'; base-uri 'none'"
)
# JSON and XML answers load nothing at all.
DATA_POLICY = "default-src 'none'; base-uri 'none'"
FRAMEABLE_ENDPOINTS = {"form.show_form", "form.post_form", "form.status_page"}


def init_app(app: Flask) -> None:
    """Add the security headers to every response of `app`."""
    app.after_request(add_security_headers)


def add_security_headers(response: Response) -> Response:
    """Set the headers on `response` (after-request hook)."""
    headers = response.headers
    headers.setdefault("X-Content-Type-Options", "nosniff")
    # Status links carry their access token in the query: never send them as a referrer.
    headers.setdefault("Referrer-Policy", "no-referrer")
    if request.is_secure:
        headers.setdefault("Strict-Transport-Security", HSTS)
    if response.mimetype == "text/html":
        ancestors = frame_ancestors()
        policy = page_policy()
        headers.setdefault("Content-Security-Policy", f"{policy}; frame-ancestors {ancestors}")
        if ancestors == "'none'":
            headers.setdefault("X-Frame-Options", "DENY")
    else:
        headers.setdefault("Content-Security-Policy", f"{DATA_POLICY}; frame-ancestors 'none'")
    if request.path.startswith("/api/"):
        # Answers may name a request or a masked number: no shared cache keeps them.
        headers.setdefault("Cache-Control", "no-store")
    return response


def page_policy() -> str:
    """Return the pages' policy, frame-ancestors aside, with this request's nonce if any.

    Pages that set their own header (the console's widget editor) build it from this,
    so the two cannot drift apart.
    """
    nonce = g.get("csp_nonce")
    return _PAGE_POLICY.format(nonce=f" 'nonce-{nonce}'" if nonce else "")


def frame_ancestors() -> str:
    """Return the origins allowed to frame this page: its widget's, or 'none'."""
    widget = _page_widget() if request.endpoint in FRAMEABLE_ENDPOINTS else None
    if widget is None or not widget.allowed_origins:
        return "'none'"
    # Origins are validated on the way in; this keeps a bad row from rewriting the policy.
    safe = [o for o in widget.allowed_origins if not set(o) & set(" ;,'\"")]
    return " ".join(["'self'", *safe])


def _page_widget() -> Widget | None:
    args = request.view_args or {}
    if "key" in args:
        return db.session().query(Widget).filter_by(key=args["key"]).one_or_none()
    try:
        request_id = uuid.UUID(str(args.get("request_id")))
    except ValueError:
        return None
    found = db.session().get(CallbackRequest, request_id)
    return found.widget if found is not None else None
