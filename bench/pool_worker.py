"""RQ's WorkerPool with in-process (SimpleWorker) children that each build the app."""

from __future__ import annotations

import argparse
from typing import Any

from rq import SimpleWorker
from rq.worker_pool import WorkerPool

from callback import create_app
from callback.redis_client import redis_connection
from workers.failures import scrub_failure
from workers.queues import CALLS_QUEUE


class AppWorker(SimpleWorker):
    """A SimpleWorker whose jobs run inside the Flask app's context, like `callback worker`."""

    def work(self, *args: Any, **kwargs: Any) -> bool:
        app = create_app()
        with app.app_context():
            return bool(super().work(*args, **kwargs))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--name", default=None)
    parser.add_argument("--processes", type=int, default=2)
    args = parser.parse_args()
    app = create_app()
    with app.app_context():
        connection = redis_connection()
    pool = WorkerPool(
        [CALLS_QUEUE],
        connection=connection,
        num_workers=args.processes,
        worker_class=AppWorker,
        exception_handlers=[scrub_failure],
    )
    pool.start(logging_level=app.config["LOG_LEVEL"])


if __name__ == "__main__":
    main()
