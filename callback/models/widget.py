"""Widgets (a company's callback form) and agents (the phones that ring)."""

from __future__ import annotations

import secrets
from datetime import datetime
from typing import Any

from sqlalchemy import String, false, true
from sqlalchemy.orm import Mapped, mapped_column

from callback.models.base import Base, utcnow

DEFAULT_ALLOWED_NUMBER_TYPES = ["MOBILE", "FIXED_LINE", "FIXED_LINE_OR_MOBILE"]
DEFAULT_RETRY_INTERVALS = [120, 600]
# Accepted requests per UTC day: a runaway form costs at most this many calls a day.
DEFAULT_DAILY_CALL_CAP = 100
DEFAULT_SMS_REMINDER_MINUTES = 10


def new_widget_key() -> str:
    """Return a fresh public widget key."""
    return "wk_" + secrets.token_urlsafe(12)


class Widget(Base):
    __tablename__ = "widgets"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(40), unique=True, default=new_widget_key)
    name: Mapped[str] = mapped_column(String(200))
    allowed_origins: Mapped[list[str]] = mapped_column(default=list)
    default_region: Mapped[str] = mapped_column(String(2))
    allowed_countries: Mapped[list[str]] = mapped_column(default=list)
    allowed_number_types: Mapped[list[str]] = mapped_column(
        default=lambda: list(DEFAULT_ALLOWED_NUMBER_TYPES)
    )
    caller_id: Mapped[str | None] = mapped_column(String(20))
    language: Mapped[str] = mapped_column(String(10), default="en")
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    # None means open at all hours; otherwise {"mon": [["09:00", "17:00"]], ...}.
    business_hours: Mapped[dict[str, Any] | None] = mapped_column()
    holidays_region: Mapped[str | None] = mapped_column(String(10))
    closed_dates: Mapped[list[str]] = mapped_column(default=list)
    team: Mapped[str] = mapped_column(String(64), default="default")
    ring_strategy: Mapped[str] = mapped_column(String(20), default="sequential")
    # Agents who don't speak a request's language (callback.agents.routing) may be rung
    # when no agent who does is free; False: the request waits for a speaker.
    ring_other_languages: Mapped[bool] = mapped_column(default=True, server_default=true())
    retry_attempts: Mapped[int] = mapped_column(default=3)
    retry_intervals: Mapped[list[int]] = mapped_column(
        default=lambda: list(DEFAULT_RETRY_INTERVALS)
    )
    privacy_policy_url: Mapped[str | None] = mapped_column(String(2048))
    consent_version: Mapped[str] = mapped_column(String(40), default="2026-11")
    # Replaces the standard notice under the form; bump consent_version when it changes.
    privacy_notice: Mapped[str | None] = mapped_column(String(1000))
    daily_call_cap: Mapped[int] = mapped_column(
        default=DEFAULT_DAILY_CALL_CAP, server_default=str(DEFAULT_DAILY_CALL_CAP)
    )
    # The widget's look (callback/widgets/theme.py); None means the standard one.
    theme_color: Mapped[str | None] = mapped_column(String(7))
    theme_position: Mapped[str | None] = mapped_column(String(12))
    theme_texts: Mapped[dict[str, Any] | None] = mapped_column()
    # A request not rung within this many minutes of the time it was wanted expires.
    max_wait_minutes: Mapped[int] = mapped_column(default=240, server_default="240")
    # Length of the bookable slots offered to visitors outside business hours.
    slot_minutes: Mapped[int] = mapped_column(default=15, server_default="15")
    # Who hears about failed and expired callbacks, and gets the daily digest.
    alert_emails: Mapped[list[str]] = mapped_column(default=list, server_default="[]")
    # A Slack-compatible incoming webhook that gets the same alerts and digest.
    alert_chat_url: Mapped[str | None] = mapped_column(String(2048))
    digest_enabled: Mapped[bool] = mapped_column(default=True, server_default=true())
    # The hour (widget's time zone) the digest of the day before is sent.
    digest_hour: Mapped[int] = mapped_column(default=8, server_default="8")
    # The local date of the last day a digest went out for (YYYY-MM-DD): sent once a day.
    digest_sent_for: Mapped[str | None] = mapped_column(String(10))
    # The weekly report of the week just ended, e-mailed on Monday at digest_hour to the
    # owners and the widget's managers (callback.reports.weekly).
    weekly_report_enabled: Mapped[bool] = mapped_column(default=True, server_default=true())
    # The local Monday of the last week a report went out for (YYYY-MM-DD): sent once a week.
    weekly_report_sent_for: Mapped[str | None] = mapped_column(String(10))
    # Webhooks carry the visitor's number only for requests made under this consent
    # version, which the owner confirmed says so; None: never.
    webhook_number_consent_version: Mapped[str | None] = mapped_column(String(40))
    # The event types some enabled endpoint of the widget wants (kept by
    # callback.integrations.endpoints): a move nobody listens to costs no query.
    webhook_events: Mapped[list[str]] = mapped_column(default=list, server_default="[]")
    # Display rules (callback/widgets/display.py): what the widget does on its own once a
    # visit (nothing, a nudge beside the button, or open), and when.
    display_action: Mapped[str] = mapped_column(String(8), default="none", server_default="none")
    display_after_seconds: Mapped[int | None] = mapped_column()
    display_on_exit_intent: Mapped[bool] = mapped_column(default=False, server_default=false())
    display_scroll_percent: Mapped[int | None] = mapped_column()
    # Path patterns ("/pricing*") the rules apply on; empty: every page.
    display_paths: Mapped[list[str]] = mapped_column(default=list, server_default="[]")
    # Text messages to the visitor (callback/lifecycle/sms.py): a confirmation of a callback
    # scheduled for later, a reminder this many minutes before it, and a "we tried to
    # call you" when a request fails or expires. Off unless the owner turns it on.
    # The phone line (callback/lines/): callers to the company's Twilio number, whose Voice
    # URL is this widget's, wait in line; after `line_offer_seconds` they are offered a
    # callback that keeps their place.
    line_enabled: Mapped[bool] = mapped_column(default=False, server_default=false())
    line_offer_seconds: Mapped[int] = mapped_column(default=60, server_default="60")
    # A sound file (MP3 or WAV) Twilio fetches and plays to waiting callers between the
    # announcements of their place; none: silence.
    line_music_url: Mapped[str | None] = mapped_column(String(2048))
    sms_enabled: Mapped[bool] = mapped_column(default=False, server_default=false())
    sms_reminder_minutes: Mapped[int] = mapped_column(
        default=DEFAULT_SMS_REMINDER_MINUTES, server_default=str(DEFAULT_SMS_REMINDER_MINUTES)
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Agent(Base):
    __tablename__ = "agents"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    # Employee work phone: company data, not visitor data, so it is not erased.
    phone: Mapped[str] = mapped_column(String(20))
    team: Mapped[str] = mapped_column(String(64), default="default", index=True)
    active: Mapped[bool] = mapped_column(default=True)
    available: Mapped[bool] = mapped_column(default=True)
    priority: Mapped[int] = mapped_column(default=100)
    # The languages the agent takes calls in; none listed: the widget's own language.
    languages: Mapped[list[str]] = mapped_column(default=list)
    # The agent's own working hours ({"mon": [["09:00", "17:00"]], ...}); None: any time.
    hours: Mapped[dict[str, Any] | None] = mapped_column()
    timezone: Mapped[str] = mapped_column(String(64), default="UTC", server_default="UTC")
    # Calls in a row rung out or sent to voicemail; at the limit the agent is paused.
    missed_in_row: Mapped[int] = mapped_column(default=0, server_default="0")
    # Why the agent was taken out of rotation ("missed 3 calls", a Twilio error code).
    paused_reason: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
