"""Each job runs in a fresh app context, with the job id and request id on its log lines."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from flask import Flask, current_app, has_app_context
from rq import get_current_job

from callback import create_app


class JobLog(logging.LoggerAdapter[logging.Logger]):
    """Prefixes every message with the job id and the request id."""

    def process(self, msg: Any, kwargs: Any) -> tuple[Any, Any]:
        extra = self.extra or {}
        return f"job={extra.get('job_id')} request={extra.get('request_id')} {msg}", kwargs


def _app() -> Flask:
    if has_app_context():
        app: Flask = current_app._get_current_object()  # type: ignore[attr-defined]
        return app
    return create_app()


@contextmanager
def job_context(logger_name: str, request_id: str) -> Iterator[JobLog]:
    """Push a fresh app context (a new database session) and yield the job's logger."""
    job = get_current_job()
    log = JobLog(
        logging.getLogger(logger_name),
        {"job_id": job.id if job else None, "request_id": request_id},
    )
    with _app().app_context():
        yield log
