"""CORS on the visitor API's answers that the view itself cannot decorate.

The status URL is authorised by the token in it, never by cookies, so any page may read
or withdraw a request it holds the URL of: answering every origin exposes nothing the
URL's holder could not fetch anyway. A refused submission (422, 429) must be readable
by the widget's page too, or the visitor would never see why: the allowed origin gets
the same headers as the 202 does.
"""

from __future__ import annotations

from flask import Response, request
from sqlalchemy import select

from callback import db
from callback.models import Widget
from callback.security.origins import cors_headers

STATUS_ENDPOINTS = {"visitor_api.get_callback", "visitor_api.delete_callback"}
SUBMIT_ENDPOINT = "visitor_api.create_callback"
PREFLIGHT_MAX_AGE = "600"


def visitor_cors(response: Response) -> Response:
    """Add CORS headers to status answers, their preflights and refused submissions."""
    if request.endpoint in STATUS_ENDPOINTS:
        response.headers["Access-Control-Allow-Origin"] = "*"
        if request.method == "OPTIONS":
            response.headers["Access-Control-Allow-Methods"] = "GET, DELETE"
            response.headers["Access-Control-Max-Age"] = PREFLIGHT_MAX_AGE
    elif (
        request.endpoint == SUBMIT_ENDPOINT
        and "Access-Control-Allow-Origin" not in response.headers
    ):
        key = (request.view_args or {}).get("key")
        widget = db.session().scalars(select(Widget).filter_by(key=key)).one_or_none()
        if widget is not None:
            response.headers.update(cors_headers(widget))
    return response
