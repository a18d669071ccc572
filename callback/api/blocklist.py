"""The admin API's blocklist: a widget's entries, and the global ones every widget obeys.

A widget's list is scoped like the widget itself (callback/api/admin.py): its owner or
manager; another widget's entry answers 404. The global list spans every widget, so it
is an owner's. A number entry is shown masked in the answer to adding it, and never
again: only its keyed hash is stored. Adding and removing are audited, never with the
number.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, jsonify

from callback import db
from callback.accounts import audit
from callback.accounts.access import only_for, require_caller
from callback.accounts.roles import MANAGER, OWNER
from callback.api.admin import checked_body, managed_widget
from callback.blocklist.entries import add_entry, entries_of, remove_entry, shown_value
from callback.models import BlockEntry, Widget, iso
from callback.schemas.blocklist import BlockEntryCreate

bp = Blueprint("blocklist_api", __name__, url_prefix="/api/v1/admin")
bp.before_request(require_caller(lambda: None))


def entry_json(entry: BlockEntry, widget: Widget | None) -> dict[str, Any]:
    """Return the entry as the API shows it (schemas.blocklist.BlockEntry), never a number."""
    return {
        "id": entry.id,
        "widget": widget.key if widget else None,
        "kind": entry.kind.value,
        "value": shown_value(entry),
        "note": entry.note,
        "created_at": iso(entry.created_at),
        "created_by": entry.created_by,
    }


def _listed(widget: Widget | None) -> Response:
    entries = entries_of(db.session(), widget)
    return jsonify(entries=[entry_json(entry, widget) for entry in entries])


def _added(widget: Widget | None, actor: str) -> tuple[Response, int]:
    fields = checked_body(BlockEntryCreate)
    added = add_entry(
        db.session(), widget, fields["kind"], fields["value"], fields.get("note"), actor
    )
    audit.record(db.session(), actor, "block_entry_added", widget=widget.key if widget else None,
                 entry_id=added.entry.id, kind=added.entry.kind.value)  # fmt: skip
    db.session().commit()
    return jsonify({**entry_json(added.entry, widget), "masked": added.shown}), 201


def _removed(widget: Widget | None, entry_id: int, actor: str) -> tuple[str, int]:
    entry = remove_entry(db.session(), widget, entry_id)
    audit.record(db.session(), actor, "block_entry_removed", widget=widget.key if widget else None,
                 entry_id=entry_id, kind=entry.kind.value)  # fmt: skip
    db.session().commit()
    return "", 204


@bp.get("/widgets/<key>/blocklist")
def list_widget_entries(key: str) -> Response:
    return _listed(managed_widget(key))


@bp.post("/widgets/<key>/blocklist")
def add_widget_entry(key: str) -> tuple[Response, int]:
    widget = managed_widget(key)
    return _added(widget, only_for(OWNER, MANAGER).actor)


@bp.delete("/widgets/<key>/blocklist/<int:entry_id>")
def remove_widget_entry(key: str, entry_id: int) -> tuple[str, int]:
    widget = managed_widget(key)
    return _removed(widget, entry_id, only_for(OWNER, MANAGER).actor)


@bp.get("/blocklist")
def list_global_entries() -> Response:
    only_for(OWNER)
    return _listed(None)


@bp.post("/blocklist")
def add_global_entry() -> tuple[Response, int]:
    return _added(None, only_for(OWNER).actor)


@bp.delete("/blocklist/<int:entry_id>")
def remove_global_entry(entry_id: int) -> tuple[str, int]:
    return _removed(None, entry_id, only_for(OWNER).actor)
