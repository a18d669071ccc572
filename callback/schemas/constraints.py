"""Building blocks of the API's field types: pydantic constraints in the API's words.

A limit is a pydantic constraint, so the JSON Schema generated states exactly what is
enforced; `worded` then replaces pydantic's wording of a refusal with the one clients
have always read ("must be at most 200 characters").
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Annotated, Any, TypeVar

from annotated_types import GroupedMetadata, Interval, MaxLen, MinLen
from pydantic import (
    AfterValidator,
    BeforeValidator,
    GetCoreSchemaHandler,
    GetJsonSchemaHandler,
    ValidationError,
    ValidatorFunctionWrapHandler,
    WrapValidator,
)
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import ErrorDetails, PydanticCustomError, core_schema

from callback.texts.plain import has_control_characters

T = TypeVar("T")
CONTROL_REFUSAL = "must not contain control characters"
WORDED = "worded"  # the type of a refusal already in our words


def said(error: ErrorDetails) -> str | None:
    """Return the refusal's text in our words, if it has them."""
    if error["type"] == WORDED:
        return error["msg"]
    if error["type"] == "value_error":  # our checks' ValueError, without "Value error, "
        return str(error.get("ctx", {}).get("error", error["msg"]))
    return None


def worded(text: str | Callable[[Any], str], **by_type: str) -> WrapValidator:
    """Return a validator that words refusals within as `text`, or by pydantic's error type."""
    # `text` may be a function of the refused value; refusals already worded keep their words.

    def wrap(value: Any, handler: ValidatorFunctionWrapHandler) -> Any:
        try:
            return handler(value)
        except ValidationError as exc:
            errors = exc.errors()
            # A list's own refusal (not a list, too long) comes before its items'.
            error = next((e for e in errors if not e["loc"]), errors[0])
            words = said(error) or by_type.get(error["type"]) or _say(text, value)
            raise PydanticCustomError(WORDED, "{text}", {"text": words}) from None

    return WrapValidator(wrap)


def _say(text: str | Callable[[Any], str], value: Any) -> str:
    return text if isinstance(text, str) else text(value)


def _stripped(value: str) -> str:
    return value.strip()


def _not_blank(value: Any) -> Any:
    if isinstance(value, str) and not value.strip():
        raise ValueError("must be a non-empty string")
    return value


def _one_line(value: str) -> str:
    if has_control_characters(value):
        raise ValueError(CONTROL_REFUSAL)
    return value


def _lines(value: str) -> str:
    if has_control_characters(value, lines=True):
        raise ValueError(CONTROL_REFUSAL)
    return value


@dataclass(frozen=True)
class Text(GroupedMetadata):
    """Non-blank text of at most `max_length` characters as sent, stored stripped.

    No control characters (texts.plain); a text of several `lines` keeps line breaks.
    """

    max_length: int
    lines: bool = False

    def __iter__(self) -> Iterator[object]:
        yield MinLen(1)
        yield MaxLen(self.max_length)
        yield AfterValidator(_stripped)
        yield AfterValidator(_lines if self.lines else _one_line)
        yield BeforeValidator(_not_blank)
        too_long = f"must be at most {self.max_length} characters"
        yield worded("must be a non-empty string", string_too_long=too_long)


@dataclass(frozen=True)
class Whole(GroupedMetadata):
    """A whole number from `low` to `high`."""

    low: int
    high: int

    def __iter__(self) -> Iterator[object]:
        yield Interval(ge=self.low, le=self.high)
        yield worded(f"must be a whole number from {self.low} to {self.high}")


@dataclass(frozen=True)
class Items(GroupedMetadata):
    """A list of at most `max_items` items."""

    max_items: int = 50

    def __iter__(self) -> Iterator[object]:
        yield MaxLen(self.max_items)
        yield worded(f"must be a list of at most {self.max_items} items")


class OneOf(GroupedMetadata):
    """One of `choices`, of the annotated type itself (5, never 5.0): an enum in the schema."""

    def __init__(self, *choices: str | int, refusal: Callable[[Any], str] | None = None) -> None:
        self.choices = choices
        self.refusal = refusal or ("must be one of " + ", ".join(str(c) for c in choices))

    def __iter__(self) -> Iterator[object]:
        yield self._Literal(self.choices)
        yield worded(self.refusal)

    @dataclass(frozen=True)
    class _Literal:
        choices: tuple[str | int, ...]

        def __get_pydantic_core_schema__(
            self, source: Any, handler: GetCoreSchemaHandler
        ) -> core_schema.CoreSchema:
            # The type first: how a literal compares 5.0 with 5 differs between versions.
            return core_schema.chain_schema([handler(source), self._literal()])

        def __get_pydantic_json_schema__(
            self, schema: core_schema.CoreSchema, handler: GetJsonSchemaHandler
        ) -> JsonSchemaValue:
            return handler(self._literal())

        def _literal(self) -> core_schema.LiteralSchema:
            return core_schema.literal_schema(list(self.choices))


def _blank_is_null(value: Any) -> Any:
    return None if value == "" else value


Flag = Annotated[bool, worded("must be true or false")]
# A setting that may be cleared: null, or "" as a form would send it.
Clearable = Annotated[T | None, BeforeValidator(_blank_is_null)]
