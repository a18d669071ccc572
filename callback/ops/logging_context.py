"""A request id on every web log line, returned in the X-Request-ID response header.

The id is taken from the incoming X-Request-ID (a proxy's or load balancer's) when it
looks like an id, else generated. Log records made inside a request get `request_id`;
inside an RQ job it is `job:<job id>` (JobLog adds the callback request id). The JSON
log format (callback.logs) prints it as an extra field.
"""

from __future__ import annotations

import inspect
import logging
import re
import uuid
from typing import Any

from flask import Flask, Response, has_request_context, request
from rq import get_current_job

HEADER = "X-Request-ID"
# Letters are required so a client can never get a bare phone number echoed into logs.
SANE_ID = re.compile(r"^(?=.*[A-Za-z])[A-Za-z0-9._:\-]{8,128}$")
ENVIRON_KEY = "callback.request_id"
_FACTORY_MARK = "_callback_request_id_factory"


def current_request_id() -> str:
    """Return this web request's id, choosing it on first use."""
    # Kept in the WSGI environ, not `g`: an app context (and its `g`) may outlive a
    # request, as in tests that hold one open around several requests.
    if ENVIRON_KEY not in request.environ:
        offered = request.headers.get(HEADER, "")
        request.environ[ENVIRON_KEY] = offered if SANE_ID.match(offered) else uuid.uuid4().hex
    value: str = request.environ[ENVIRON_KEY]
    return value


def _context_id() -> str:
    if has_request_context():
        return current_request_id()
    job = get_current_job()
    return f"job:{job.id}" if job is not None else "-"


def _install_record_factory() -> None:
    previous = logging.getLogRecordFactory()
    if getattr(previous, _FACTORY_MARK, False):
        return  # one per process, however many apps the tests build

    def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = previous(*args, **kwargs)
        record.request_id = _context_id()
        return record

    # Carry over the marks of the factory wrapped here (callback.logs checks its own
    # the same way), so neither re-wraps the other each time an app is built.
    if inspect.isfunction(previous):
        factory.__dict__.update(previous.__dict__)
    setattr(factory, _FACTORY_MARK, True)
    logging.setLogRecordFactory(factory)


def _add_header(response: Response) -> Response:
    response.headers[HEADER] = current_request_id()
    return response


def init_app(app: Flask) -> None:
    """Tag log records with the request id and send it back on every response."""
    _install_record_factory()
    app.after_request(_add_header)
