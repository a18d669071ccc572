"""Widgets by public key, kept briefly in each process: every visitor request reads one.

A widget changes rarely and is read on every submission, config fetch and preflight.
Each process keeps the widgets it has read for WIDGET_CACHE_SECONDS (0 turns this off).
A change made in this process (the admin API, a CLI command) drops the process's copies
at once; other processes see it within WIDGET_CACHE_SECONDS.
"""

from __future__ import annotations

import time
import weakref
from typing import Any

from flask import Flask, current_app
from sqlalchemy import event, select

from callback import db
from callback.errors import NotFound, refusal
from callback.models import Widget

_ALL_CACHES: weakref.WeakSet[WidgetCache] = weakref.WeakSet()


class WidgetCache:
    """Detached Widget rows by key, each kept for `seconds` after it was read."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self._entries: dict[str, tuple[float, Widget]] = {}
        _ALL_CACHES.add(self)

    def get(self, key: str) -> Widget | None:
        entry = self._entries.get(key)
        if entry is None or entry[0] < time.monotonic():
            return None
        return entry[1]

    def put(self, widget: Widget) -> None:
        if self.seconds > 0:
            self._entries[widget.key] = (time.monotonic() + self.seconds, widget)

    def drop(self, key: str) -> None:
        self._entries.pop(key, None)

    def clear(self) -> None:
        self._entries.clear()


def find_widget(key: str) -> Widget | None:
    """Return the widget with public key `key` (read-only, detached), or None."""
    cache: WidgetCache = current_app.extensions["widget_cache"]
    widget = cache.get(key)
    if widget is None:
        # Its own session, closed at once: the copy is shared by threads and must not
        # belong to any request's session.
        with db.database().sessionmaker() as lookup:
            widget = lookup.scalars(select(Widget).where(Widget.key == key)).one_or_none()
        if widget is not None:
            cache.put(widget)
    return widget


def load_widget(key: str) -> Widget:
    """Return the widget with public key `key`, or raise the API's 404."""
    widget = find_widget(key)
    if widget is None:
        raise refusal(NotFound, "unknown_widget")
    return widget


def forget_widget(key: str) -> None:
    """Drop this process's copy of one widget (found deleted or changed elsewhere)."""
    cache: WidgetCache = current_app.extensions["widget_cache"]
    cache.drop(key)


def _forget_widgets(*_args: Any) -> None:
    for cache in list(_ALL_CACHES):
        cache.clear()


def init_app(app: Flask) -> None:
    """Give `app` its widget cache; any change to a widget in this process empties it."""
    app.extensions["widget_cache"] = WidgetCache(app.config["WIDGET_CACHE_SECONDS"])
    for name in ("after_update", "after_delete"):
        if not event.contains(Widget, name, _forget_widgets):
            event.listen(Widget, name, _forget_widgets)
