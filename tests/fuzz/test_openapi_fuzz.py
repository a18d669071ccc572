"""Schemathesis drives every documented operation with generated input: never a 500."""

from __future__ import annotations

import re
from typing import Any

import pytest
import schemathesis
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import HealthCheck, settings

from callback.api import docs as api_docs
from callback.api.openapi import document
from tests.factories import make_widget

FUZZ_SETTINGS = settings(
    max_examples=40,
    deadline=None,
    database=None,  # nothing written into the working copy
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@pytest.fixture
def fuzz_app(app: Flask) -> Flask:
    """The app with limits and caps out of the way, so input reaches the handlers."""
    app.config.update(
        RATE_LIMIT_PER_IP="100000/hour",
        RATE_LIMIT_PER_NUMBER="100000/hour",
        RATE_LIMIT_PER_WIDGET="100000/hour",
        RATE_LIMIT_NEW_NUMBERS_PER_IP="100000/hour",
        DAILY_CALL_CAP_GLOBAL=100000,
    )
    return app


# Loaded from the document the app serves (test_served_document_is_the_one_fuzzed checks
# it is the same): schemathesis's lazy `from_fixture` loader does not run on pytest 9.
schema = schemathesis.openapi.from_dict(document())


def test_served_document_is_the_one_fuzzed(client: FlaskClient) -> None:
    served = client.get("/api/v1/openapi.json")
    assert served.status_code == 200
    assert served.get_json() == document()


def test_every_api_route_is_documented(app: Flask) -> None:
    documented = {
        (path, method.upper())
        for path, item in document()["paths"].items()
        for method in item
        if method != "parameters"
    }
    served = {
        (re.sub(r"<(?:[^:>]+:)?([^>]+)>", r"{\1}", rule.rule), method)
        for rule in app.url_map.iter_rules()
        # The document itself and the page that shows it are not operations of the API.
        if rule.rule.startswith("/api/")
        and rule.endpoint != "openapi.openapi_json"
        and not rule.endpoint.startswith(f"{api_docs.bp.name}.")
        for method in (rule.methods or set()) - {"HEAD", "OPTIONS"}
    }
    assert _unnamed(served) - _unnamed(documented) == set()


def _unnamed(operations: set[tuple[str, str]]) -> set[tuple[str, str]]:
    # Path parameter names may differ (`key` in a route, `widget_key` in the document).
    return {(re.sub(r"{[^}]+}", "{}", path), method) for path, method in operations}


@pytest.mark.slow
@schema.parametrize()
@FUZZ_SETTINGS
def test_no_operation_answers_500(
    case: Any, fuzz_app: Flask, admin_headers: dict[str, str]
) -> None:
    if case.path.endswith("/callbacks") and case.method == "POST":
        # A real widget, so the generated body reaches intake instead of a 404.
        case.path_parameters["widget_key"] = _widget_key(fuzz_app)
    response = case.call(app=fuzz_app, headers=admin_headers)
    assert response.status_code < 500, f"{case.method} {case.formatted_path}: {response.text}"


def _widget_key(app: Flask) -> str:
    key = app.config.get("FUZZ_WIDGET_KEY")
    if key is None:
        key = app.config["FUZZ_WIDGET_KEY"] = make_widget(daily_call_cap=100000).key
    return str(key)
