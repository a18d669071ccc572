"""A widget's blocklist page: its entries, adding one, removing one.

For an owner, or a manager of the widget; an agent never. The global entries, which
every widget obeys, are listed for reference; they are managed through the admin API
by an owner. A number is kept only as its keyed hash, so the page shows its mask once,
in the message after adding it, and never again.
"""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext
from werkzeug.wrappers import Response

from callback import db
from callback.accounts import audit, roles
from callback.blocklist.entries import add_entry, entries_of, remove_entry, shown_value
from callback.console.access import account, for_roles
from callback.console.blueprint import bp
from callback.console.integrations import managed_widget
from callback.errors import NotFound, Refused
from callback.models import Widget
from callback.texts import N_

Page = tuple[str, int, dict[str, str]]
MAX_NOTE = 200
KINDS = {
    "number": N_("console.blocklist.kind.number"),
    "prefix": N_("console.blocklist.kind.prefix"),
    "ip_range": N_("console.blocklist.kind.ip_range"),
}
REFUSALS = {
    "number": N_("console.blocklist.error.number"),
    "prefix": N_("console.blocklist.error.prefix"),
    "ip_range": N_("console.blocklist.error.ip_range"),
}
KIND_REFUSED = N_("console.blocklist.error.kind")
DUPLICATE = N_("console.blocklist.error.duplicate")
NOTE_TOO_LONG = N_("console.blocklist.error.note")
ADDED = N_("console.blocklist.added")
REMOVED = N_("console.blocklist.removed")


@bp.get("/widgets/<key>/blocklist")
@for_roles(roles.OWNER, roles.MANAGER)
def blocklist(key: str) -> Page:
    return _page(managed_widget(key), {"kind": "number", "value": "", "note": ""})


@bp.post("/widgets/<key>/blocklist")
@for_roles(roles.OWNER, roles.MANAGER)
def add_block(key: str) -> Response | Page:
    widget = managed_widget(key)
    values = {name: request.form.get(name, "").strip() for name in ("kind", "value", "note")}
    errors = _checked(values)
    if not errors:
        actor = audit.actor_of(account())
        session = db.session()
        try:
            added = add_entry(
                session, widget, values["kind"], values["value"], values["note"], actor
            )
        except Refused as refused:
            errors = {
                "value": gettext(
                    DUPLICATE if refused.code == "already_blocked" else REFUSALS[values["kind"]]
                )
            }
        else:
            audit.record(session, actor, "block_entry_added", widget=widget.key,
                         entry_id=added.entry.id, kind=added.entry.kind.value)  # fmt: skip
            session.commit()
            flash(gettext(ADDED).format(value=added.shown), "success")
            return redirect(url_for("console.blocklist", key=widget.key))
    return _page(widget, values, errors)


@bp.post("/widgets/<key>/blocklist/<int:entry_id>/delete")
@for_roles(roles.OWNER, roles.MANAGER)
def remove_block(key: str, entry_id: int) -> Response:
    widget = managed_widget(key)
    session = db.session()
    try:
        entry = remove_entry(session, widget, entry_id)
    except NotFound:
        return redirect(url_for("console.blocklist", key=widget.key))  # already gone
    audit.record(session, audit.actor_of(account()), "block_entry_removed", widget=widget.key,
                 entry_id=entry_id, kind=entry.kind.value)  # fmt: skip
    session.commit()
    flash(gettext(REMOVED), "success")
    return redirect(url_for("console.blocklist", key=widget.key))


def _checked(values: dict[str, str]) -> dict[str, str]:
    if values["kind"] not in KINDS:
        return {"kind": gettext(KIND_REFUSED)}
    if not values["value"]:
        return {"value": gettext(REFUSALS[values["kind"]])}
    if len(values["note"]) > MAX_NOTE:
        return {"note": gettext(NOTE_TOO_LONG).format(limit=MAX_NOTE)}
    return {}


def _page(widget: Widget, values: dict[str, str], errors: dict[str, str] | None = None) -> Page:
    session = db.session()
    page = render_template(
        "console/blocklist.html",
        widget=widget,
        entries=entries_of(session, widget),
        global_entries=entries_of(session, None),
        shown_value=shown_value,
        kinds=KINDS,
        values=values,
        errors=errors or {},
    )
    return page, 400 if errors else 200, {}
