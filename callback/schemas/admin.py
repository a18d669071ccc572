"""The admin API's request bodies: one model each, which checks the body and is its schema.

Nothing here knows of HTTP: the admin API (callback/api/admin.py) turns `first_refusal`
into its 422.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any

from annotated_types import MaxLen
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError

from callback.errors import Invalid
from callback.schemas.constraints import Clearable, Flag, Items, OneOf, Text, Whole, said, worded
from callback.schemas.fields import (
    E164,
    Colour,
    Corner,
    DisplayAction,
    EmailAddress,
    HolidaysRegion,
    IsoDate,
    Language,
    Name,
    NumberType,
    Origin,
    PathPattern,
    Region,
    RingStrategy,
    Team,
    ThemeTexts,
    TimeZone,
    Url,
    WeeklyHours,
)
from callback.widgets import display

# Its address checks (https, not inside the network) need the app: the admin API does them.
ChatUrl = Annotated[str, MaxLen(2048), worded("must be a URL of at most 2048 characters")]

# A field left out: the stored value, or the column's default, stays. Never validated.
ABSENT: Any = None


class Payload(BaseModel):
    """A request body of the admin API: strict JSON types (no "3" for 3), no unknown fields."""

    model_config = ConfigDict(strict=True, extra="forbid")


class WidgetUpdate(Payload):
    """Change a widget's settings; a field left out keeps its value."""

    name: Name = ABSENT
    allowed_origins: Annotated[list[Origin], Items()] = ABSENT
    default_region: Region = ABSENT
    allowed_countries: Annotated[list[Region], Items(250)] = ABSENT
    allowed_number_types: Annotated[list[NumberType], Items()] = ABSENT
    caller_id: Clearable[E164] = ABSENT
    language: Language = ABSENT
    timezone: TimeZone = ABSENT
    team: Team = ABSENT
    ring_strategy: RingStrategy = ABSENT
    ring_other_languages: Flag = Field(
        ABSENT,
        description="Agents who speak the visitor's language (else the widget's) are rung "
        "first. When none of them is free, true rings the others; false rings speakers "
        "only (waiting while they are on calls, else ending the round). Default true.",
    )
    retry_attempts: Annotated[int, Whole(1, 10)] = ABSENT
    retry_intervals: Annotated[list[Annotated[int, Whole(0, 86400)]], Items(9)] = ABSENT
    privacy_policy_url: Clearable[Url] = ABSENT
    consent_version: Annotated[str, Text(40)] = ABSENT
    privacy_notice: Clearable[Annotated[str, Text(1000, lines=True)]] = ABSENT
    daily_call_cap: Annotated[int, Whole(0, 100_000)] = ABSENT
    theme_color: Clearable[Colour] = ABSENT
    theme_position: Clearable[Corner] = ABSENT
    theme_texts: Clearable[ThemeTexts] = ABSENT
    business_hours: Clearable[WeeklyHours] = ABSENT
    holidays_region: Clearable[HolidaysRegion] = ABSENT
    closed_dates: Annotated[list[IsoDate], Items(366)] = ABSENT
    max_wait_minutes: Annotated[int, Whole(1, 7 * 24 * 60)] = ABSENT
    slot_minutes: Annotated[int, OneOf(5, 10, 15, 20, 30, 60)] = ABSENT
    # Who hears of failed and expired callbacks and gets the daily digest.
    alert_emails: Annotated[list[EmailAddress], Items(20)] = ABSENT
    # A Slack-compatible incoming webhook; checked as a webhook endpoint's URL is.
    alert_chat_url: Clearable[ChatUrl] = ABSENT
    digest_enabled: Flag = ABSENT
    # The hour of the widget's day the digest of the day before is sent.
    digest_hour: Annotated[int, Whole(0, 23)] = ABSENT
    # The week just ended, e-mailed on Monday at digest_hour to the owners and managers.
    weekly_report_enabled: Flag = ABSENT
    # Text messages to the visitor (docs/sms.md): confirmation, reminder, "we tried".
    sms_enabled: Flag = ABSENT
    # How long before a scheduled callback the reminder goes out.
    sms_reminder_minutes: Annotated[int, Whole(1, 24 * 60)] = ABSENT
    # The phone line: callers to the Twilio number whose Voice URL is this widget's
    # (/twilio/widgets/<key>/voice) wait in line, then are offered a callback.
    line_enabled: Flag = Field(
        ABSENT,
        description="Take calls on the phone line: callers to the Twilio number whose Voice "
        "URL is PUBLIC_BASE_URL/twilio/widgets/<key>/voice wait in line. Default false.",
    )
    line_offer_seconds: Annotated[int, Whole(0, 3600)] = Field(
        ABSENT,
        description="Seconds a caller waits in line before being offered a callback that "
        "keeps their place (0: at once). Default 60.",
    )
    line_music_url: Clearable[Url] = Field(
        ABSENT,
        description="An MP3 or WAV file that Twilio fetches and plays to waiting callers "
        "between the announcements of their place; keep it under a minute, as the place is "
        "read out again only after it. Default none: silence.",
    )
    # The consent_version whose notice says the number is shared: webhooks then carry it.
    webhook_number_consent_version: Clearable[Annotated[str, Text(40)]] = ABSENT
    # Display rules (callback/widgets/display.py): nudge or open on its own, once a visit,
    # when any trigger set fires, on the pages matching display_paths (none: every page).
    display_action: DisplayAction = ABSENT
    display_after_seconds: Clearable[Annotated[int, Whole(0, 3600)]] = ABSENT
    display_on_exit_intent: Flag = ABSENT
    display_scroll_percent: Clearable[Annotated[int, Whole(1, 100)]] = ABSENT
    display_paths: Annotated[list[PathPattern], Items(display.MAX_PATHS)] = ABSENT


class WidgetCreate(WidgetUpdate):
    """Create a widget: a name and a home country at least; the rest has defaults."""

    name: Name
    default_region: Region


class AgentUpdate(Payload):
    """Change an agent; `available` puts them back in rotation or pauses them."""

    name: Name = ABSENT
    phone: E164 = ABSENT
    team: Team = ABSENT
    priority: Annotated[int, Whole(0, 10000)] = ABSENT
    active: Flag = ABSENT
    available: Flag = ABSENT
    languages: Annotated[list[Language], Items()] = Field(
        ABSENT,
        description="The languages the agent takes calls in; empty: the widget's own "
        "language. Speakers of a request's language are rung first.",
    )
    hours: Clearable[WeeklyHours] = ABSENT
    timezone: TimeZone = ABSENT
    missed_in_row: Annotated[int, Whole(0, 0)] = ABSENT  # only cleared here: calls count it


class AgentCreate(AgentUpdate):
    """Create an agent: a name and a phone at least."""

    name: Name
    phone: E164


def checked_fields(model: type[BaseModel], body: Mapping[str, Any]) -> dict[str, Any]:
    """Return the fields `body` gives, checked by `model`, or raise Invalid naming the first."""
    try:
        return model.model_validate(body).model_dump(mode="json", exclude_unset=True)
    except ValidationError as exc:
        field, text = first_refusal(model, body, exc)
        raise Invalid("invalid_field", f"{field}: {text}", field) from None


def _string_or_none(value: Any) -> Any:
    return value if isinstance(value, str) else None


class SubjectRequest(BaseModel):
    """Name the number a data-subject request is about, and where it was typed."""

    model_config = ConfigDict(strict=True)

    phone: str = Field(examples=["+44 20 7946 0123"])
    # Anything but a string means no region: the number then needs its + country code.
    region: Annotated[str | None, BeforeValidator(_string_or_none)] = Field(None, examples=["GB"])


def first_refusal(
    model: type[BaseModel], body: Mapping[str, Any], exc: ValidationError
) -> tuple[str, str]:
    """Return the field to blame and why, for the one refusal the API reports."""
    # As clients have always been told: an unknown field, else a required one left out
    # (or null, or ""), else the first bad value in the order the body gives them.
    fields = list(model.model_fields)
    order = {name: index for index, name in enumerate(body)}
    refusals: list[tuple[int, int, str, str]] = []
    for error in exc.errors():
        name = str(error["loc"][0]) if error["loc"] else ""
        if error["type"] == "extra_forbidden":
            refusals.append((0, order[name], name, "unknown field"))
        elif name in fields and _required(model, name) and body.get(name) in (None, ""):
            refusals.append((1, fields.index(name), name, "is required"))
        else:
            refusals.append((2, order.get(name, -1), name, said(error) or error["msg"]))
    _, _, name, words = min(refusals)
    return name, words


def _required(model: type[BaseModel], name: str) -> bool:
    return model.model_fields[name].is_required()
