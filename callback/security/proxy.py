"""The client's address, trusted from X-Forwarded-* only as far as configured proxies go."""

from __future__ import annotations

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix


def init_app(app: Flask) -> None:
    """Trust TRUSTED_PROXY_HOPS proxies in front of the app (0: trust no forwarded header).

    With 0, a client that sends its own X-Forwarded-For changes nothing: the address is
    the TCP peer. With n, the n-th address from the right is the client, so only what the
    operator's own proxies appended is believed.
    """
    hops = app.config["TRUSTED_PROXY_HOPS"]
    if hops > 0:
        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops, x_port=hops
        )
