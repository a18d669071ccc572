"""Widgets: the list an owner or manager runs, creating (owners), editing, deleting (owners).

Every setting the admin API accepts is on the form, checked by the same pydantic models
(WidgetCreate, WidgetUpdate) with the same refusal texts. Saving goes through the ORM,
so the widget cache of this process forgets the widget at once (callback/widgets/cache.py,
as for the admin API) and other processes within WIDGET_CACHE_SECONDS.

The edit page previews the widget two ways, neither of which can send a request:
- a drawing of the launcher and panel in the form's colour, corner and words (in the
  widget's language), which static/widgets.js redraws as the person types, before saving;
- the real form page /w/<key> as saved, in an iframe sandboxed without forms or scripts
  (its CSP lets 'self' frame it once the widget has an allowed origin).
The widget script itself runs only on a widget's allowed origins, so it is not embedded.
"""

from __future__ import annotations

from typing import Any

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import get_locale, gettext
from pydantic import BaseModel, ValidationError
from sqlalchemy import select
from werkzeug.wrappers import Response

from callback import db
from callback.accounts import audit, roles
from callback.console import widget_form as form
from callback.console.access import account, for_roles
from callback.console.blueprint import bp
from callback.errors import Invalid
from callback.integrations.endpoints import stop_sharing_if_notice_changed
from callback.models import Widget, utcnow
from callback.schedule.hours import widget_schedule
from callback.schemas.admin import WidgetCreate, WidgetUpdate, first_refusal
from callback.security.headers import page_policy
from callback.setup import making
from callback.telephony import public_url
from callback.texts import LANGUAGES, N_
from callback.texts.widget import widget_texts
from callback.widgets import theme

CREATED = N_("console.widgets.created")
SAVED = N_("console.widgets.saved")
DELETED = N_("console.widgets.deleted")
CONFIRM_DELETE = N_("console.widgets.confirm_delete_error")
TEAM_OWNERS_ONLY = N_("console.widgets.team_owners_only")
NO_CALLER_ID = N_("console.widgets.error.caller_id_required")
Page = tuple[str, int, dict[str, str]]


@bp.get("/widgets")
@for_roles(roles.OWNER, roles.MANAGER)
def widgets() -> str:
    mine = account()
    rows = (
        db.session()
        .scalars(select(Widget).where(roles.widget_filter(mine)).order_by(Widget.name, Widget.id))
        .all()
    )
    now = utcnow()
    listed = [(w, widget_schedule(w).is_open(now)) for w in rows]
    return render_template(
        "console/widgets/list.html",
        listed=listed,
        may_create=roles.is_owner(mine),
        languages=form.LANGUAGE_NAMES,
    )


@bp.get("/widgets/new")
@for_roles(roles.OWNER)
def new_widget() -> Page:
    return _form_page(None, form.values_of(form.NEW_WIDGET))


@bp.post("/widgets/new")
@for_roles(roles.OWNER)
def create_widget() -> Response | Page:
    values = form.values_from(request.form)
    checked = _checked(WidgetCreate, values)
    if isinstance(checked, tuple):
        return _form_page(None, values, {checked[0]: checked[1]}, 400)
    session = db.session()
    changes = audit.changes(form.NEW_WIDGET, checked)
    try:
        widget = making.create_widget(
            session,
            checked,
            audit.actor_of(account()),
            current_app.config.get("TWILIO_FROM_NUMBER"),
            changes=changes,
        )
    except Invalid:  # the one rule the form cannot check alone: a caller ID
        return _form_page(None, values, {"caller_id": gettext(NO_CALLER_ID)}, 400)
    session.commit()
    flash(gettext(CREATED), "success")
    return redirect(url_for("console.edit_widget", key=widget.key))


@bp.get("/widgets/<key>")
@for_roles(roles.OWNER, roles.MANAGER)
def edit_widget(key: str) -> Page:
    widget = _managed(key)
    return _form_page(widget, form.values_of(form.settings_of(widget)))


@bp.post("/widgets/<key>")
@for_roles(roles.OWNER, roles.MANAGER)
def update_widget(key: str) -> Response | Page:
    widget = _managed(key)
    values = form.values_from(request.form)
    # The team decides whose agents a manager may see and edit (roles.agent_filter): moving
    # a widget to another team would hand a manager that team's agents. Owners only.
    if not roles.is_owner(account()) and values["team"].strip() != widget.team:
        return _form_page(widget, values, {"team": gettext(TEAM_OWNERS_ONLY)}, 400)
    checked = _checked(WidgetUpdate, values)
    if isinstance(checked, tuple):
        return _form_page(widget, values, {checked[0]: checked[1]}, 400)
    before = form.settings_of(widget)
    sharing_before = widget.webhook_number_consent_version
    changed = audit.changes(before, checked)
    for name in changed:
        setattr(widget, name, checked[name])
    if stop_sharing_if_notice_changed(widget, before):
        changed["webhook_number_consent_version"] = [sharing_before, None]
    if changed:
        audit.record(db.session(), audit.actor_of(account()), "widget_updated",
                     widget=widget.key, changes=changed)  # fmt: skip
    db.session().commit()
    flash(gettext(SAVED), "success")
    return redirect(url_for("console.edit_widget", key=widget.key))


@bp.post("/widgets/<key>/delete")
@for_roles(roles.OWNER, roles.MANAGER)
def delete_widget(key: str) -> Response | Page:
    widget = _managed(key)  # a manager learns nothing of others' keys: 404 before 403
    if not roles.is_owner(account()):
        abort(403)
    if request.form.get("confirm_key", "").strip() != widget.key:
        values = form.values_of(form.settings_of(widget))
        return _form_page(widget, values, {"confirm_key": gettext(CONFIRM_DELETE)}, 400)
    session = db.session()
    audit.record(session, audit.actor_of(account()), "widget_deleted", widget=widget.key,
                 changes={n: [v, None] for n, v in form.settings_of(widget).items()})  # fmt: skip
    session.delete(widget)
    session.commit()
    flash(gettext(DELETED), "success")
    return redirect(url_for("console.widgets"))


def _managed(key: str) -> Widget:
    """The widget with `key` if the account may manage it; 404 alike for unknown and others'."""
    widget = db.session().scalars(select(Widget).filter_by(key=key)).one_or_none()
    if widget is None or not roles.may_manage(account(), widget):
        abort(404)
    return widget


def _checked(model: type[BaseModel], values: dict[str, Any]) -> dict[str, Any] | tuple[str, str]:
    """Return the settings `values` stand for, checked by `model`, or (field, refusal)."""
    body = form.body_of(values)
    try:
        return model.model_validate(body).model_dump(mode="json")
    except ValidationError as exc:
        field, words = first_refusal(model, body, exc)
        return form.error_field(field, words), words


def _form_page(
    widget: Widget | None,
    values: dict[str, Any],
    errors: dict[str, str] | None = None,
    status: int = 200,
) -> Page:
    language = str(get_locale() or "en")
    return (
        render_template(
            "console/widgets/edit.html",
            widget=widget,
            values=values,
            errors=errors or {},
            may_delete=widget is not None and roles.is_owner(account()),
            may_change_team=roles.is_owner(account()),
            snippet=_snippet(widget) if widget is not None else None,
            voice_url=_voice_url(widget) if widget is not None else None,
            preview=_preview(values),
            regions=form.region_choices(language),
            timezones=[(zone, zone) for zone in form.timezone_choices()],
            languages=[(code, form.LANGUAGE_NAMES[code]) for code in LANGUAGES],
            strategies=[(code, gettext(key)) for code, key in form.STRATEGY_NAMES.items()],
            positions=[(code, gettext(key)) for code, key in form.POSITION_NAMES.items()],
            display_actions=[(c, gettext(k)) for c, k in form.DISPLAY_ACTION_NAMES.items()],
            slots=[(minutes, str(minutes)) for minutes in form.SLOT_CHOICES],
            number_types=form.NUMBER_TYPE_LABELS,
            days=form.DAY_LABELS,
            text_labels=form.TEXT_LABELS,
        ),
        status,
        {"Content-Security-Policy": _edit_page_policy(), "X-Frame-Options": "DENY"},
    )


def _edit_page_policy() -> str:
    """The pages' policy, plus framing the widget's own form page (/w/<key>, same origin)
    as the preview; the edit page itself may be framed by no one."""
    return f"{page_policy()}; frame-src 'self'; frame-ancestors 'none'"


def _snippet(widget: Widget) -> str:
    """The line a site pastes into its pages (as README and widget.js document it)."""
    base = current_app.config.get("PUBLIC_BASE_URL") or request.url_root.rstrip("/")
    return f'<script src="{base}/widget.js" data-widget="{widget.key}" async></script>'


def _voice_url(widget: Widget) -> str | None:
    """The Voice URL to paste into the Twilio number of the phone line; None without
    PUBLIC_BASE_URL (Twilio could not reach this service)."""
    try:
        return public_url(f"/twilio/widgets/{widget.key}/voice")
    except RuntimeError:
        return None


def _preview(values: dict[str, Any]) -> dict[str, Any]:
    """What the preview draws: the launcher and panel in the form's colour, corner, words."""
    colour = values["theme_color"]
    if not theme.HEX_COLOUR.match(colour):
        colour = theme.DEFAULT_COLOUR
    texts = {}
    for language in LANGUAGES:
        typed = {n: values[f"text_{language}_{n}"] for n in form.TEXT_LABELS}
        texts[language] = widget_texts(language, values["name"] or "…", {language: typed})
    language = values["language"] if values["language"] in LANGUAGES else LANGUAGES[0]
    return {
        "colour": colour,
        "text_colour": theme.text_colour(colour),
        "position": values["theme_position"],
        "language": language,
        "texts": texts,
    }
