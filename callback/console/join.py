"""Joining by invitation: the link's page sets a password and signs the person in."""

from __future__ import annotations

from flask import current_app, redirect, render_template, request, session, url_for
from flask_babel import gettext
from flask_security import login_user
from flask_security.utils import hash_password
from werkzeug.wrappers import Response

from callback import db
from callback.accounts import invitations
from callback.console.blueprint import bp
from callback.errors import Invalid
from callback.texts import N_

MISMATCH = N_("console.join.mismatch")


@bp.route("/join", methods=["GET", "POST"])
def join() -> Response | tuple[str, int] | str:
    # In the query, not the path: access logs write the path only (gunicorn.conf.py), and
    # the form posts back to this same address.
    token = request.args.get("token", "")
    store = db.session()
    invitation = invitations.open_invitation(store, token)
    if invitation is None:
        return render_template("console/join_invalid.html"), 404
    error = None
    if request.method == "POST":
        typed = request.form.get("password", "")
        problems, password = current_app.extensions["security"].password_util.validate(
            typed, is_register=True, user=invitation.account
        )
        if problems:
            error = " ".join(str(problem) for problem in problems)
        elif typed != request.form.get("password_again", ""):
            error = gettext(MISMATCH)
        else:
            try:
                account = invitations.accept(store, invitation, hash_password(password))
            except Invalid:
                store.rollback()
                return render_template("console/join_invalid.html"), 404
            store.commit()
            session.clear()  # nothing from before joining carries into the new session
            login_user(account, authn_via=["password"])
            store.commit()
            return redirect(url_for("console.home"))
    status = 400 if error else 200
    return render_template("console/join.html", invitation=invitation, error=error), status
