"""Serving the sandbox from a background thread (tests) with a clean shutdown."""

from __future__ import annotations

import threading
from urllib.parse import urlsplit

from flask import Flask
from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server


class QuietRequestHandler(WSGIRequestHandler):
    """Log requests without their query strings, and not the control API's at all.

    Query strings (Calls.json?To=+44...) and control paths (/_sandbox/phones/+44...) carry
    phone numbers, which never go into a log; the phones page polls twice a second.
    HTTP/1.1 keeps each client's connection open between requests, as Twilio's API does,
    so a worker's REST client does not connect anew for every call it creates.
    """

    protocol_version = "HTTP/1.1"

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        """Log the method, path and status of one request."""
        path = urlsplit(getattr(self, "path", "")).path
        if not path.startswith("/_sandbox/"):
            self.log("info", '"%s %s" %s %s', getattr(self, "command", "-"), path, code, size)


class ServedApp:
    """A WSGI server running in a daemon thread; `close()` stops it."""

    def __init__(self, app: Flask, server: BaseWSGIServer, thread: threading.Thread) -> None:
        self.app, self.server, self.thread = app, server, thread

    def close(self) -> None:
        """Stop serving, release the socket and, for a sandbox app, end its calls."""
        self.server.shutdown()
        self.thread.join(timeout=5)
        self.server.server_close()
        network = self.app.extensions.get("sandbox")
        if network is not None:
            network.close()

    shutdown = close


def serve_in_thread(app: Flask, host: str = "127.0.0.1", port: int = 0) -> tuple[ServedApp, str]:
    """Serve `app` on a thread (port 0 picks a free one); return the server and its base URL."""
    server = make_server(host, port, app, threaded=True, request_handler=QuietRequestHandler)
    thread = threading.Thread(
        target=server.serve_forever,
        kwargs={"poll_interval": 0.05},  # shutdown() waits up to one poll interval
        name=f"serve-{app.name}",
        daemon=True,
    )
    thread.start()
    return ServedApp(app, server, thread), f"http://{host}:{server.server_port}"
