"""`run.py dev` makes a demo owner and prints where they sign in to the console."""

from __future__ import annotations

from flask import Flask
from flask_security.utils import hash_password
from sqlalchemy import select

from callback import db
from callback.accounts import invitations
from callback.dev.demo import DEMO_OWNER_EMAIL, DEMO_OWNER_NAME, console_sign_in
from callback.models import Account

BASE = "http://127.0.0.1:5000"
JOIN = f"{BASE}/console/join?token="


def token_of(link: str) -> str:
    assert link.startswith(JOIN), link
    return link.removeprefix(JOIN)


def test_first_run_makes_the_owner_and_a_one_time_link(app: Flask) -> None:
    link = console_sign_in(db.session(), BASE)
    owner = db.session().scalars(select(Account).filter_by(email=DEMO_OWNER_EMAIL)).one()
    assert (owner.name, owner.role, owner.password) == (DEMO_OWNER_NAME, "owner", None)
    assert invitations.open_invitation(db.session(), token_of(link)) is not None


def test_later_runs_print_a_fresh_link_until_the_owner_joins_then_the_sign_in_page(
    app: Flask,
) -> None:
    first = token_of(console_sign_in(db.session(), BASE))
    second = token_of(console_sign_in(db.session(), BASE))
    assert invitations.open_invitation(db.session(), first) is None
    invitation = invitations.open_invitation(db.session(), second)
    assert invitation is not None
    invitations.accept(db.session(), invitation, hash_password("a long enough password"))
    db.session().commit()
    assert console_sign_in(db.session(), BASE) == f"{BASE}/console/sign-in"
    assert len(db.session().scalars(select(Account)).all()) == 1
