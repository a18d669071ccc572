"""gunicorn settings for the `web` process (see Procfile).

Each gunicorn worker is its own process with its own counters, and a scrape of
/metrics reaches one of them at random. In prometheus-client's multiprocess mode every
process writes its metrics to files in PROMETHEUS_MULTIPROC_DIR and /metrics adds them
all up. The directory must be empty when the service starts: when the variable is unset,
a fresh one is made here. Give `callback worker` the same directory (on the same host)
and /metrics also carries the counts made in jobs (Twilio errors, failed dials).
"""

from __future__ import annotations

import os
import tempfile
from typing import Any

# Set before the app (and so prometheus_client) is imported: the library picks its
# storage when it is first imported.
if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="callback-metrics-")

# If an access log is turned on (--access-logfile -): the path without its query string,
# which may hold a status token, and the request id that the app returns.
access_log_format = '%(h)s %(t)s "%(m)s %(U)s" %(s)s %(b)s %(M)sms request_id=%({x-request-id}o)s'


def child_exit(server: Any, worker: Any) -> None:
    """Drop the live-gauge files of a worker that exited (prometheus-client's recipe)."""
    from prometheus_client import multiprocess  # noqa: PLC0415 - after the variable is set

    multiprocess.mark_process_dead(worker.pid)


def post_fork(server: Any, worker: Any) -> None:
    """Give each worker its own database connections (the app was loaded before the fork)."""
    app = getattr(server.app, "callable", None)
    database = getattr(app, "extensions", {}).get("db")
    if database is not None:
        database.engine.dispose(close=False)  # SQLAlchemy's recipe for forked processes
