"""The OpenAPI document's components: schemas generated from the payload models.

OpenAPI 3.1 takes JSON Schema 2020-12 as it is, which is what pydantic generates, so
the models' schemas go into the document unchanged but for titles and defaults.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from pydantic import BaseModel
from pydantic.json_schema import GenerateJsonSchema, JsonSchemaValue, models_json_schema
from pydantic_core import core_schema

from callback.schemas import admin as schemas
from callback.schemas import answers as bodies
from callback.schemas import blocklist, webhooks

REF = "#/components/schemas/{model}"
MODELS: tuple[type[BaseModel], ...] = (
    bodies.CallbackSubmission,
    bodies.CallbackAccepted,
    bodies.CallbackStatus,
    bodies.CallbackList,
    bodies.Slots,
    bodies.WidgetConfig,
    schemas.WidgetCreate,
    schemas.WidgetUpdate,
    bodies.Widget,
    bodies.WidgetList,
    schemas.AgentCreate,
    schemas.AgentUpdate,
    bodies.Agent,
    bodies.AgentList,
    schemas.SubjectRequest,
    webhooks.WebhookCreate,
    webhooks.WebhookUpdate,
    webhooks.Webhook,
    webhooks.WebhookCreated,
    webhooks.WebhookList,
    webhooks.WebhookSecret,
    webhooks.WebhookAttemptList,
    webhooks.WebhookReplay,
    blocklist.BlockEntryCreate,
    blocklist.BlockEntry,
    blocklist.BlockEntryList,
    bodies.Error,
)


class _ComponentSchema(GenerateJsonSchema):
    """JSON Schema without a title per field, nor defaults."""

    def field_title_should_be_set(self, schema: Any) -> bool:
        return False

    def default_schema(self, schema: core_schema.WithDefaultSchema) -> JsonSchemaValue:
        # A field left out gets no value (the stored one stays), whatever pydantic holds.
        return self.generate_inner(schema["schema"])


@cache
def component_schemas() -> dict[str, Any]:
    """Return the schemas of the models and of the models they hold, by model name."""
    _, generated = models_json_schema(
        [(model, "validation") for model in MODELS],
        ref_template=REF,
        schema_generator=_ComponentSchema,
    )
    return dict(generated["$defs"])


def components() -> dict[str, Any]:
    """Return the document's components: schemas, the error response, the bearer schemes."""
    error = {"$ref": REF.format(model="Error")}
    return {
        "schemas": component_schemas(),
        "responses": {
            "Error": {
                "description": "An error with a stable code",
                "content": {"application/json": {"schema": error}},
            }
        },
        "securitySchemes": {
            "bearerAuth": {
                "type": "http",
                "scheme": "bearer",
                "description": "A token from ADMIN_TOKENS: the bootstrap and break-glass "
                "path, allowed everything, audited as `admin`.",
            },
            "apiKeyAuth": {
                "type": "http",
                "scheme": "bearer",
                "bearerFormat": "cbk_...",
                "description": "A console account's API key (made on the console's Your "
                "account page), acting as that account: an owner may do everything; a "
                "manager only their widgets, their teams' agents and their requests (no "
                "widget creation or deletion, no privacy requests); an agent only reads and "
                "sets its own agent's `available`. Objects out of scope answer 404, "
                "operations the role may not do 403.",
            },
        },
    }
