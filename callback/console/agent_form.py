"""The agent form: what a person typed, turned into the admin API's body and checked by it.

The form keeps every value as typed (to show it again beside a refusal); `payload`
builds the JSON-shaped body AgentCreate/AgentUpdate expect, so the console refuses
exactly what the admin API refuses, in the same words.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, ValidationError
from werkzeug.datastructures import MultiDict

from callback.console import hours_field
from callback.models import Agent
from callback.schedule.hours import DAY_NAMES
from callback.schemas.admin import first_refusal

TEXT_FIELDS = ("name", "phone", "team", "priority", "timezone")
WHOLE = re.compile(r"^\d{1,9}$")


def blank() -> dict[str, Any]:
    """The values of an empty form: the defaults a new agent gets."""
    values: dict[str, Any] = dict.fromkeys(TEXT_FIELDS, "")
    values.update(priority="100", timezone="UTC", languages=[])
    values.update({f"hours_{day}": "" for day in DAY_NAMES})
    return values


def of_agent(agent: Agent) -> dict[str, Any]:
    """The values of the form for a stored agent."""
    values: dict[str, Any] = {
        "name": agent.name,
        "phone": agent.phone,
        "team": agent.team,
        "priority": str(agent.priority),
        "timezone": agent.timezone,
        "languages": list(agent.languages or []),
    }
    hours = agent.hours or {}
    for day in DAY_NAMES:
        values[f"hours_{day}"] = ", ".join(
            f"{opens}-{closes}" for opens, closes in hours.get(day, [])
        )
    return values


def typed(form: MultiDict[str, str]) -> dict[str, Any]:
    """The values a submitted form holds, as typed."""
    values: dict[str, Any] = {name: form.get(name, "") for name in TEXT_FIELDS}
    values["languages"] = form.getlist("languages")
    values.update({f"hours_{day}": form.get(f"hours_{day}", "") for day in DAY_NAMES})
    return values


def payload(values: Mapping[str, Any], creating: bool) -> dict[str, Any]:
    """The admin API's body for `values`; a new agent's empty team, priority or zone: defaults."""
    body: dict[str, Any] = {
        "name": values["name"],
        "phone": values["phone"],
        "team": values["team"],
        "priority": _whole(values["priority"]),
        "languages": list(values["languages"]),
        "hours": _hours(values),
        "timezone": values["timezone"],
    }
    if creating:
        body = {
            name: value
            for name, value in body.items()
            if not (name in {"team", "priority", "timezone"} and value == "")
        }
    return body


def check(model: type[BaseModel], body: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, str]]:
    """Return the checked fields, or no fields and {field: why} for the first refusal."""
    try:
        return model.model_validate(body).model_dump(mode="json", exclude_unset=True), {}
    except ValidationError as exc:
        field, words = first_refusal(model, body, exc)
        return {}, {field: words}


def _whole(text: str) -> int | str:
    # A whole number as a number; anything else as typed, for the model to refuse.
    text = text.strip()
    return int(text) if WHOLE.match(text) else text


def _hours(values: Mapping[str, Any]) -> dict[str, list[list[str]]] | None:
    """Every day empty means no hours of their own (any time); an empty day is off."""
    return hours_field.weekly(values) or None
