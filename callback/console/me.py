"""Your account: name and language, sign-in methods, API keys, your data, leaving."""

from __future__ import annotations

import json

from flask import (
    abort,
    current_app,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext
from flask_security import check_and_update_authn_fresh, logout_user
from werkzeug.wrappers import Response

from callback import db
from callback.accounts import api_keys, audit, management, personal
from callback.console.access import account
from callback.console.blueprint import bp
from callback.errors import Refused
from callback.models import Account, ApiKey
from callback.texts import LANGUAGES, N_

SAVED = N_("console.me.saved")
KEY_REVOKED = N_("console.me.key_revoked")
CONFIRM_DELETE = N_("console.me.confirm_delete_error")


@bp.get("/me")
def me() -> Response:
    return _page()


def _page(new_key: str | None = None, error: str | None = None, status: int = 200) -> Response:
    mine = account()
    page = render_template(
        "console/me.html",
        me=mine,
        keys=api_keys.keys_of(db.session(), mine),
        new_key=new_key,
        error=error,
        languages=LANGUAGES,
    )
    response = make_response(page, status)
    # A new API key is on this page once: neither the browser's history nor a proxy keeps it.
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.post("/me")
def save_me() -> Response:
    mine = account()
    language = request.form.get("language", "")
    try:
        name = management.checked_name(request.form.get("name", ""))
    except Refused:
        name = ""
    if not name or language not in LANGUAGES:
        return _page(error=gettext(N_("console.me.invalid")), status=400)
    before = {"name": mine.name, "language": mine.language}
    mine.name, mine.language = name, language
    changed = audit.changes(before, {"name": name, "language": language})
    if changed:
        audit.record(db.session(), audit.actor_of(mine), "account_updated", account_id=mine.id,
                     fields=sorted(changed))  # fmt: skip
    db.session().commit()
    flash(gettext(SAVED), "success")
    return redirect(url_for("console.me"))


@bp.post("/me/keys")
def issue_key() -> Response:
    """Make an API key, after a recent sign-in: a key outlives the session that made it,
    so a borrowed or stolen session must not be enough to mint one."""
    config = current_app.config
    if not check_and_update_authn_fresh(
        config["SECURITY_FRESHNESS"], config["SECURITY_FRESHNESS_GRACE_PERIOD"]
    ):
        return redirect(url_for("security.verify", next=url_for("console.me")))
    mine = account()
    try:
        _row, key = api_keys.issue(db.session(), mine, request.form.get("name", ""),
                                   audit.actor_of(mine))  # fmt: skip
    except Refused:
        return _page(error=gettext(N_("console.me.key_name_invalid")), status=400)
    db.session().commit()
    return _page(new_key=key)


@bp.post("/me/keys/<int:key_id>/revoke")
def revoke_key(key_id: int) -> Response:
    mine = account()
    key = db.session().get(ApiKey, key_id)
    if key is None or key.account_id != mine.id:
        abort(404)
    api_keys.revoke(db.session(), key, audit.actor_of(mine))
    db.session().commit()
    flash(gettext(KEY_REVOKED), "success")
    return redirect(url_for("console.me"))


@bp.get("/me/data")
def download_my_data() -> Response:
    """Everything stored about the signed-in person, as a JSON download."""
    mine = account()
    body = json.dumps(personal.export(db.session(), mine), indent=2, ensure_ascii=False)
    return Response(
        body,
        mimetype="application/json",
        headers={
            "Content-Disposition": 'attachment; filename="callback-account.json"',
            "Cache-Control": "no-store",
        },
    )


@bp.post("/me/delete")
def delete_me() -> Response:
    mine: Account = account()
    if request.form.get("confirm_email", "").strip().lower() != mine.email:
        return _page(error=gettext(CONFIRM_DELETE), status=400)
    try:
        personal.delete(db.session(), mine, audit.actor_of(mine))
    except Refused:
        return _page(error=gettext(N_("console.me.last_owner")), status=400)
    db.session().commit()
    logout_user()
    return redirect(url_for("security.login"))
