"""The OpenAPI 3.1 description of the visitor and admin APIs, served at /api/v1/openapi.json.

The paths are a small table here; their bodies refer to component schemas generated from
the models that check them (callback/schemas/components.py), so the two cannot drift.
tests/fuzz feeds the document to schemathesis.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Flask, Response, jsonify

from callback.schemas.components import components

bp = Blueprint("openapi", __name__, url_prefix="/api/v1")

JSON = "application/json"
# Either credential: a break-glass ADMIN_TOKENS token or an account's API key.
ADMIN: list[dict[str, list[str]]] = [{"bearerAuth": []}, {"apiKeyAuth": []}]


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _json(schema: dict[str, Any], description: str = "OK") -> dict[str, Any]:
    return {"description": description, "content": {JSON: {"schema": schema}}}


def _errors(*statuses: int) -> dict[str, Any]:
    return {str(status): {"$ref": "#/components/responses/Error"} for status in statuses}


def _path_param(name: str, schema: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"name": name, "in": "path", "required": True, "schema": schema or {"type": "string"}}


def _body(schema: dict[str, Any]) -> dict[str, Any]:
    return {"required": True, "content": {JSON: {"schema": schema}}}


TOKEN = {"name": "token", "in": "query", "required": True, "schema": {"type": "string"}}
REQUEST_ID = _path_param("request_id", {"type": "string", "format": "uuid"})
WIDGET_KEY = _path_param("widget_key")
AGENT_ID = _path_param("agent_id", {"type": "integer", "minimum": 1})


def _visitor_paths() -> dict[str, Any]:
    submission = {
        JSON: {"schema": _ref("CallbackSubmission")},
        "application/x-www-form-urlencoded": {"schema": _ref("CallbackSubmission")},
    }
    return {
        "/api/v1/widgets/{widget_key}/callbacks": {
            "post": {
                "summary": "Ask for a callback",
                "parameters": [WIDGET_KEY],
                "requestBody": {"required": True, "content": submission},
                "responses": {
                    "202": _json(_ref("CallbackAccepted"), "Accepted and queued"),
                    **_errors(400, 403, 404, 413, 422, 429),
                },
            }
        },
        "/api/v1/widgets/{widget_key}/config": {
            "get": {
                "summary": "The widget script's settings: countries, texts, theme, hours",
                "parameters": [
                    WIDGET_KEY,
                    {"name": "lang", "in": "query", "schema": {"type": "string"}},
                ],
                "responses": {"200": _json(_ref("WidgetConfig")), **_errors(403, 404)},
            }
        },
        "/api/v1/widgets/{widget_key}/slots": {
            "get": {
                "summary": "Bookable callback times of the next days (open hours, not full)",
                "parameters": [WIDGET_KEY],
                "responses": {"200": _json(_ref("Slots")), **_errors(404)},
            }
        },
        "/api/v1/callbacks/{request_id}": {
            "parameters": [REQUEST_ID, TOKEN],
            "get": {
                "summary": "Watch a request's status (never the number)",
                "responses": {"200": _json(_ref("CallbackStatus")), **_errors(404)},
            },
            "delete": {
                "summary": "Withdraw a request: cancel it and erase the number now",
                "responses": {"200": _json(_ref("CallbackStatus")), **_errors(404)},
            },
        },
    }


def _crud(item: str, id_param: dict[str, Any], listing: str) -> dict[str, Any]:
    """Return the collection and item paths of one admin resource."""
    plural = f"{item}s"
    collection = {
        "post": {
            "summary": f"Create a {item}",
            "security": ADMIN,
            "requestBody": _body(_ref(f"{item.title()}Create")),
            "responses": {"201": _json(_ref(item.title()), "Created"), **_errors(400, 401, 422)},
        },
        "get": {
            "summary": f"List {plural}",
            "security": ADMIN,
            "responses": {"200": _json(_ref(listing)), **_errors(401)},
        },
    }
    one = {
        "parameters": [id_param],
        "get": {
            "security": ADMIN,
            "responses": {"200": _json(_ref(item.title())), **_errors(401, 404)},
        },
        "patch": {
            "security": ADMIN,
            "requestBody": _body(_ref(f"{item.title()}Update")),
            "responses": {"200": _json(_ref(item.title())), **_errors(400, 401, 404, 422)},
        },
        "delete": {
            "security": ADMIN,
            "responses": {"204": {"description": "Deleted"}, **_errors(401, 404)},
        },
    }
    name = id_param["name"]
    return {f"/api/v1/admin/{plural}": collection, f"/api/v1/admin/{plural}/{{{name}}}": one}


def _webhook_paths() -> dict[str, Any]:
    base = "/api/v1/admin/widgets/{widget_key}/webhooks"
    one = f"{base}/{{webhook_id}}"
    webhook_id = _path_param("webhook_id", {"type": "integer", "minimum": 1})
    delivery_id = _path_param("delivery_id", {"type": "integer", "minimum": 1})

    def operation(summary: str, answer: str, status: str = "200", **more: Any) -> dict[str, Any]:
        responses = {status: _json(_ref(answer)), **_errors(400, 401, 404, 422)}
        return {"summary": summary, "security": ADMIN, "responses": responses, **more}

    return {
        base: {
            "parameters": [WIDGET_KEY],
            "post": operation(
                "Add a webhook endpoint; the answer holds its secret, shown this once",
                "WebhookCreated",
                "201",
                requestBody=_body(_ref("WebhookCreate")),
            ),
            "get": operation("List the widget's webhook endpoints", "WebhookList"),
        },
        one: {
            "parameters": [WIDGET_KEY, webhook_id],
            "get": operation("A webhook endpoint (never its secret)", "Webhook"),
            "patch": operation(
                "Change a webhook endpoint", "Webhook", requestBody=_body(_ref("WebhookUpdate"))
            ),
            "delete": {
                "summary": "Remove a webhook endpoint and its deliveries",
                "security": ADMIN,
                "responses": {"204": {"description": "Deleted"}, **_errors(401, 404)},
            },
        },
        f"{one}/rotate-secret": {
            "parameters": [WIDGET_KEY, webhook_id],
            "post": operation("Give the endpoint a new signing secret", "WebhookSecret"),
        },
        f"{one}/deliveries": {
            "parameters": [WIDGET_KEY, webhook_id],
            "get": operation(
                "The latest attempts: what the endpoint answered, never the body",
                "WebhookAttemptList",
            ),
        },
        f"{one}/deliveries/{{delivery_id}}/replay": {
            "parameters": [WIDGET_KEY, webhook_id, delivery_id],
            "post": operation("Send a delivery again", "WebhookReplay", "202"),
        },
    }


def _blocklist_paths() -> dict[str, Any]:
    entry_id = _path_param("entry_id", {"type": "integer", "minimum": 1})

    def collection(whose: str, params: list[dict[str, Any]]) -> dict[str, Any]:
        add = "Block a number (kept only as a keyed hash; the answer shows it masked once), "
        add += "a number prefix or an IP range"
        return {
            "parameters": params,
            "get": {
                "summary": f"List {whose} blocklist (a number's value is null)",
                "security": ADMIN,
                "responses": {"200": _json(_ref("BlockEntryList")), **_errors(401, 404)},
            },
            "post": {
                "summary": add,
                "security": ADMIN,
                "requestBody": _body(_ref("BlockEntryCreate")),
                "responses": {
                    "201": _json(_ref("BlockEntry"), "Added"),
                    **_errors(400, 401, 404, 409, 422),
                },
            },
        }

    def one(params: list[dict[str, Any]]) -> dict[str, Any]:
        return {
            "parameters": [*params, entry_id],
            "delete": {
                "summary": "Remove a blocklist entry",
                "security": ADMIN,
                "responses": {"204": {"description": "Deleted"}, **_errors(401, 404)},
            },
        }

    widget = "/api/v1/admin/widgets/{widget_key}/blocklist"
    return {
        widget: collection("the widget's", [WIDGET_KEY]),
        f"{widget}/{{entry_id}}": one([WIDGET_KEY]),
        "/api/v1/admin/blocklist": collection("every widget's (global)", []),
        "/api/v1/admin/blocklist/{entry_id}": one([]),
    }


def _admin_paths() -> dict[str, Any]:
    limit = {"name": "limit", "in": "query", "schema": {"type": "integer", "minimum": 1}}
    subject = _body(_ref("SubjectRequest"))
    privacy: dict[str, Any] = {
        f"/api/v1/admin/privacy/{action}": {
            "post": {
                "summary": f"Data-subject request: {action} everything held about a number",
                "security": ADMIN,
                "requestBody": subject,
                "responses": {"200": _json({"type": "object"}), **_errors(401, 422)},
            }
        }
        for action in ("export", "erase")
    }
    return {
        **_crud("widget", WIDGET_KEY, "WidgetList"),
        **_crud("agent", AGENT_ID, "AgentList"),
        "/api/v1/admin/callbacks": {
            "get": {
                "summary": "Recent requests, numbers masked",
                "security": ADMIN,
                "parameters": [limit],
                "responses": {"200": _json(_ref("CallbackList")), **_errors(401)},
            }
        },
        **privacy,
        **_webhook_paths(),
        **_blocklist_paths(),
    }


def document() -> dict[str, Any]:
    """Return the OpenAPI document."""
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Callback API",
            "version": "1",
            "description": "Visitor API (public, origin-checked, rate-limited) and admin "
            "API (bearer token from ADMIN_TOKENS, or an account's API key). Errors are always "
            '{"error": {"code", "message", "field"}}; a 429 adds "limit", "retry_after" and '
            '"resets_at".',
        },
        "paths": {**_visitor_paths(), **_admin_paths()},
        "components": components(),
    }


@bp.get("/openapi.json")
def openapi_json() -> Response:
    return jsonify(document())


def init_app(app: Flask) -> None:
    """Serve the document."""
    app.register_blueprint(bp)
