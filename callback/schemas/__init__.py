"""One pydantic model per API payload: it validates the body and is its OpenAPI schema.

- `admin`: the admin API's request bodies (widgets, agents, a data subject's number);
- `answers`: what the API answers, and the visitor's submission (described, not checked
  here: intake refuses in the visitor's language);
- `fields` and `constraints`: the field types and limits both are built from, refusing
  in the words clients have always read;
- `components`: the OpenAPI document's component schemas, generated from the models.

Why models and a small paths table (callback/api/openapi.py) rather than a framework such
as spectree or flask-openapi3: pydantic generates JSON Schema from the very class that
validates, so the document cannot drift from the checks; the paths table is small; and a
framework would take over our blueprints and answer refusals its own way, while the error
body {"error": {"code", "message", "field"}} and the status codes must stay as they are.
Nothing here imports Flask (a contract in pyproject.toml keeps it so).
"""
