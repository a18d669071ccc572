"""URL converters that refuse what the database cannot hold, as a 404 instead of a 500."""

from __future__ import annotations

from flask import Flask
from werkzeug.routing import IntegerConverter, Map

# Ids are INTEGER columns (32-bit signed in PostgreSQL); a larger number in a URL would
# overflow the query and surface as a 500, so it names nothing instead.
MAX_ID = 2**31 - 1


class IdConverter(IntegerConverter):
    """`<int:...>` capped at MAX_ID unless a route asks for another bound.

    The parameter names shadow builtins because they are werkzeug's own.
    """

    def __init__(
        self,
        map: Map,
        fixed_digits: int = 0,
        min: int | None = None,
        max: int | None = MAX_ID,
        signed: bool = False,
    ) -> None:
        super().__init__(map, fixed_digits, min, max, signed)


def init_app(app: Flask) -> None:
    """Make `<int:...>` bounded; call before any blueprint is registered."""
    app.url_map.converters["int"] = IdConverter
