"""Callback: a self-hostable website callback service."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import Flask


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    """Build the application; `config` overrides settings read from the environment."""
    # Imported here, as Flask's tutorial does: Python runs this file before any module of
    # the package, so imports at its top would load the whole app (web, jobs, webhooks)
    # into the sandbox, the demo site and every process that needs one module.
    from callback import (  # noqa: PLC0415
        db,
        http_errors,
        logs,
        redis_client,
        security,
        settings,
    )
    from callback.api import admin, docs, openapi, visitor  # noqa: PLC0415
    from callback.api import blocklist as blocklist_api  # noqa: PLC0415
    from callback.api import privacy as privacy_api  # noqa: PLC0415
    from callback.api import schedule as schedule_api  # noqa: PLC0415
    from callback.api import webhooks as webhooks_api  # noqa: PLC0415
    from callback.cli import register_commands  # noqa: PLC0415
    from callback.console import init_app as init_console  # noqa: PLC0415
    from callback.embed import init_app as init_widget  # noqa: PLC0415
    from callback.forms import views as form_views  # noqa: PLC0415
    from callback.ops import init_app as init_ops  # noqa: PLC0415
    from callback.security import converters  # noqa: PLC0415
    from callback.widgets import cache as widgets  # noqa: PLC0415
    from webhooks import lines as line_routes  # noqa: PLC0415
    from webhooks import routes as webhook_routes  # noqa: PLC0415
    from workers import queues  # noqa: PLC0415

    app = Flask(__name__, instance_path=str(settings.instance_dir()))
    app.config.from_mapping(settings.load_settings())
    if config:
        app.config.from_mapping(config)
    settings.fill_development_defaults(app.config)
    app.config["MAX_CONTENT_LENGTH"] = 16 * 1024
    app.json.sort_keys = False  # type: ignore[attr-defined]

    logs.init_app(app)
    db.init_app(app)
    widgets.init_app(app)
    redis_client.init_app(app)
    http_errors.init_app(app)
    converters.init_app(app)  # before the blueprints: their rules use it
    queues.init_app(app)
    app.register_blueprint(visitor.bp)
    app.register_blueprint(schedule_api.bp)
    app.register_blueprint(admin.bp)
    app.register_blueprint(webhooks_api.bp)
    app.register_blueprint(privacy_api.bp)
    app.register_blueprint(blocklist_api.bp)
    app.register_blueprint(form_views.bp)
    app.register_blueprint(webhook_routes.bp)
    app.register_blueprint(line_routes.bp)
    init_widget(app)
    security.init_app(app)
    init_console(app)  # after security: it throttles sign-in with the same limiter
    init_ops(app)
    openapi.init_app(app)
    docs.init_app(app)
    register_commands(app)
    return app
