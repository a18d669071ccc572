"""The HTTP API: the visitor's endpoints (visitor, schedule), the admin API (admin,
privacy), one schema per payload (schemas/), the OpenAPI document built from them
(openapi) and the reference page that shows it (docs), and CORS on the visitor API's
answers (cors)."""
