"""Signing in to the console, through Flask-Security-Too.

Why Flask-Security-Too: it is maintained, and covers what a console needs without
hand-written cryptography: argon2 password hashes, sessions that Flask-Login checks on
every request, CSRF on every form (Flask-WTF), TOTP second factors and passkeys
(WebAuthn), and "fresh" sign-in before sensitive changes. What it leaves to us is here:
which pages it serves, the session cookie's rules, and throttling guesses.

Sessions are Flask's signed cookie, marked Secure (unless the service runs on plain
http in development), HttpOnly and SameSite=Lax. They expire after
CONSOLE_IDLE_MINUTES without a request: every console request re-signs the cookie, and
Flask refuses one signed longer ago than that. Each account's `fs_uniquifier` is in its
session, so a new one (password change, removal) ends that person's sessions everywhere.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
import time
import uuid
from datetime import timedelta
from typing import Any

from flask import Flask, Response, current_app, g, render_template, request, session
from flask.sessions import SecureCookieSession, SecureCookieSessionInterface
from flask_login import current_user, user_logged_out
from flask_security import Security, SQLAlchemySessionUserDatastore, Totp, user_authenticated
from flask_wtf.csrf import CSRFProtect
from redis.exceptions import RedisError
from sqlalchemy import inspect
from werkzeug.local import LocalProxy

from callback import db
from callback.accounts import audit
from callback.models import Account, Role, WebAuthnCredential, utcnow
from callback.redis_client import redis_connection
from callback.security.ratelimit import client_key

# Every page that checks a password, a code or a passkey: each failure counts.
log = logging.getLogger(__name__)

SIGN_IN_ENDPOINTS = (
    "security.login",
    "security.two_factor_token_validation",
    "security.wan_signin",
    "security.verify",  # signing in again before a sensitive change
    "security.change_password",  # checks the current password
)
# Requests a browser makes on its own: the requests page polls its list every few
# seconds, and every page fetches the console's stylesheet and scripts. None of them is
# someone at the screen, so answering them never renews the session.
PASSIVE_ENDPOINTS = {"console.requests_json", "console.static"}
CSRF = CSRFProtect()


def _derived(app: Flask, purpose: str) -> str:
    """A secret for one purpose, derived from SECRET_KEY.

    Rotating SECRET_KEY signs everyone out and makes authenticator apps unreadable:
    `callback users reset-second-factor` turns them off so people can set them up again
    (SECURITY.md). Passwords do not depend on it (SECURITY_PASSWORD_SINGLE_HASH).
    """
    key = str(app.config["SECRET_KEY"]).encode()
    return hmac.new(key, purpose.encode(), hashlib.sha256).hexdigest()


def security_config(app: Flask) -> dict[str, Any]:
    base = app.config.get("PUBLIC_BASE_URL") or ""
    secure = app.config["ENV"] == "production" or base.startswith("https://")
    return {
        "SECURITY_URL_PREFIX": "/console",
        "SECURITY_LOGIN_URL": "/sign-in",
        "SECURITY_LOGOUT_URL": "/sign-out",
        "SECURITY_CHANGE_URL": "/password",
        "SECURITY_POST_LOGIN_VIEW": "console.home",
        "SECURITY_POST_LOGOUT_VIEW": "security.login",
        "SECURITY_POST_CHANGE_VIEW": "console.me",
        "SECURITY_PASSWORD_HASH": "argon2",
        # OWASP's argon2id minimum (19 MiB, 2 passes, 1 lane): passlib's default (64 MiB,
        # 3 passes, 4 lanes) costs 0.8 s of both cores per sign-in on a 2-core machine,
        # which a burst of guesses would turn into a denial of service.
        "SECURITY_PASSWORD_HASH_PASSLIB_OPTIONS": {
            "argon2__memory_cost": 19456,
            "argon2__rounds": 2,
            "argon2__parallelism": 1,
        },
        # argon2 alone, salted per password; no HMAC with a salt derived from SECRET_KEY
        # first, so rotating that key does not lock anyone out.
        "SECURITY_PASSWORD_SINGLE_HASH": True,
        # Still required by Flask-Security for its other signed values.
        "SECURITY_PASSWORD_SALT": _derived(app, "console-password-salt"),
        "SECURITY_PASSWORD_LENGTH_MIN": 12,
        # Which e-mails have accounts is not told to someone who guesses.
        "SECURITY_RETURN_GENERIC_RESPONSES": True,
        "SECURITY_CHANGEABLE": True,
        "SECURITY_TRACKABLE": False,
        "SECURITY_DEFAULT_REMEMBER_ME": False,
        # API keys are ours (callback.accounts.api_keys); Flask-Security's tokens stay off.
        "SECURITY_API_ENABLED_METHODS": ["session"],
        "SECURITY_TWO_FACTOR": True,
        "SECURITY_TWO_FACTOR_ENABLED_METHODS": ["authenticator"],
        "SECURITY_TWO_FACTOR_RESCUE_EMAIL": False,
        "SECURITY_TOTP_SECRETS": {"1": _derived(app, "console-totp")},
        "SECURITY_TOTP_ISSUER": "Callback",
        "SECURITY_WEBAUTHN": True,
        "SECURITY_WAN_RP_NAME": "Callback",
        "SECURITY_WAN_ALLOW_AS_FIRST_FACTOR": True,
        "SECURITY_WAN_ALLOW_AS_MULTI_FACTOR": True,
        "SECURITY_WAN_ALLOW_AS_VERIFY": ["first", "secondary"],
        # No mail server is assumed: nothing Flask-Security does needs one here.
        "SECURITY_SEND_PASSWORD_CHANGE_EMAIL": False,
        "SECURITY_SEND_PASSWORD_RESET_NOTICE_EMAIL": False,
        # Changing a password, second factor or passkey asks for a sign-in this recent.
        "SECURITY_FRESHNESS": timedelta(minutes=15),
        "SECURITY_FRESHNESS_GRACE_PERIOD": timedelta(seconds=60),
        "SECURITY_SCRIPT_NONCE_KEY": "csp_nonce",
        "SECURITY_LOGIN_USER_TEMPLATE": "console/sign_in.html",
        "SECURITY_MSG_LOGIN": ("", "info"),  # the sign-in page says it itself
        # Forms check CSRF themselves (Flask-WTF); the APIs, webhooks and widget do not
        # use cookies, so the check is not switched on for every route.
        "WTF_CSRF_CHECK_DEFAULT": False,
        "WTF_CSRF_TIME_LIMIT": None,  # the session's idle expiry bounds the token
        "SESSION_COOKIE_NAME": "callback_console",
        # Sent only to the console: the widget, APIs and webhooks never see it.
        "SESSION_COOKIE_PATH": "/console",
        "SESSION_COOKIE_SECURE": secure,
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_REFRESH_EACH_REQUEST": True,
        "PERMANENT_SESSION_LIFETIME": timedelta(minutes=app.config["CONSOLE_IDLE_MINUTES"]),
        "REMEMBER_COOKIE_SECURE": secure,
        "REMEMBER_COOKIE_SAMESITE": "Lax",
    }


class ConsoleSessions(SecureCookieSessionInterface):
    """Sessions exist only under the console's path, where the cookie is sent.

    Elsewhere (widget, APIs, webhooks) the extensions' per-request look at the signed-in
    user finds an empty session, and nothing is written: no cookie, no `Vary: Cookie`.
    """

    def _in_console(self, app: Flask) -> bool:
        return request.path.startswith(self.get_cookie_path(app))

    def open_session(self, app: Flask, request: Any) -> SecureCookieSession | None:
        if not self._in_console(app):
            return self.session_class()
        return super().open_session(app, request)

    def save_session(self, app: Flask, session: Any, response: Any) -> None:
        if self._in_console(app):
            super().save_session(app, session, response)

    def should_set_cookie(self, app: Flask, session: Any) -> bool:
        if request.endpoint in PASSIVE_ENDPOINTS:
            return bool(session.modified)
        return super().should_set_cookie(app, session)


class OneUseCodes(Totp):
    """An authenticator code works once: a second use within its 30 seconds is refused.

    Flask-Security leaves replay protection to the application (its Totp docstring).
    The last accepted time step is kept per account in Redis, for longer than any code
    lives; passlib then refuses that step or an earlier one. Redis down: codes are only
    checked as before (still throttled), rather than nobody signing in.
    """

    KEEP_SECONDS = 600

    def get_last_counter(self, user: Any) -> int | None:
        try:
            value = redis_connection().get(_last_code_key(user))
        except RedisError as exc:
            log.warning("authenticator replay check skipped, Redis unreachable: %s", exc)
            return None
        return int(value) if value is not None else None

    def set_last_counter(self, user: Any, tmatch: Any) -> None:
        try:
            redis_connection().set(_last_code_key(user), tmatch.counter, ex=self.KEEP_SECONDS)
        except RedisError as exc:
            log.warning("authenticator code not recorded, Redis unreachable: %s", exc)


def _last_code_key(user: Any) -> str:
    return f"callback:console:totp-last:{user.id}"


def datastore() -> SQLAlchemySessionUserDatastore:
    # The proxy hands Flask-Security this request's (or command's) session.
    return SQLAlchemySessionUserDatastore(
        LocalProxy(db.session),  # type: ignore[arg-type]
        Account,
        Role,
        WebAuthnCredential,
    )


def init_app(app: Flask) -> None:
    """Set up sign-in, sessions, CSRF and the sign-in throttle on `app`."""
    # Assigned, not defaulted: Flask has its own defaults for the session cookie.
    app.config.update(security_config(app))
    app.session_interface = ConsoleSessions()
    CSRF.init_app(app)
    Security(totp_cls=OneUseCodes).init_app(app, datastore(), datetime_factory=utcnow)
    app.before_request(_console_session)
    user_authenticated.connect(_signed_in, app)
    user_logged_out.connect(_end_every_session, app)
    _throttle_sign_in(app)


def _signed_in(_app: Flask, user: Account, **_extra: Any) -> None:
    """Note the sign-in, and rotate what the session held from before it.

    Flask-Security's own bookkeeping (SECURITY_TRACKABLE) would also store the address
    signed in from; the console keeps only the times, and an audit entry without one.
    The CSRF token handed out before sign-in is dropped, so a token a stranger may have
    planted or read before the person signed in does not carry into their session.
    """
    user.last_login_at, user.current_login_at = user.current_login_at, utcnow()
    session.pop(current_app.config.get("WTF_CSRF_FIELD_NAME", "csrf_token"), None)
    g.pop("csrf_token", None)
    audit.record(db.session(), audit.actor_of(user), "signed_in", account_id=user.id)


def _console_session() -> None:
    """Make console sessions idle-expiring, and give the page its script nonce."""
    if request.blueprint in {"console", "security"}:
        if not session.permanent:  # set once: setting it again would renew the cookie
            session.permanent = True
        g.csp_nonce = secrets.token_urlsafe(16)


def _end_every_session(_app: Flask, user: Account | None = None, **_extra: Any) -> None:
    """Signing out ends every session of that person, copies of the cookie included.

    A signed cookie cannot be taken back, so the session names the account by its
    `fs_uniquifier`; a new one makes every older cookie name nobody.
    """
    if user is None or inspect(user).deleted or inspect(user).detached:
        return
    user.fs_uniquifier = uuid.uuid4().hex
    db.session().commit()


def _failed_sign_in(response: Response) -> bool:
    """Count an answer as a failed guess: the form shown again, or a JSON refusal.

    Every page in SIGN_IN_ENDPOINTS moves on with a redirect when the check passes (the
    signed-in person's own password check included), and answers JSON 200 when it does.
    """
    if request.method != "POST":
        return False
    if request.is_json:
        return response.status_code >= 400
    return response.status_code not in {301, 302, 303}


def _account_key() -> str:
    """The account being guessed at, keyed: the signed-in one (checking their password
    again), the half-signed-in one (second factor), or the e-mail typed."""
    body = request.get_json(silent=True) if request.is_json else None
    typed = (body or {}).get("email") if isinstance(body, dict) else request.form.get("email")
    signed_in = current_user.email if current_user.is_authenticated else None
    who = str(signed_in or session.get("tf_user_id") or typed or "").strip().lower()
    secret = str(current_app.config["PHONE_HASH_KEY"]).encode()
    return "signin:" + hmac.new(secret, who.encode(), hashlib.sha256).hexdigest()[:32]


def _too_many_attempts(limit: Any) -> Response:
    """The page a throttled sign-in gets: 429, in the console's layout and language."""
    retry_after = max(int(limit.reset_at - time.time()), 1)
    response = Response(
        render_template("console/throttled.html", retry_after=retry_after), status=429
    )
    response.headers["Retry-After"] = str(retry_after)
    return response


def _throttle_sign_in(app: Flask) -> None:
    """Limit failed sign-ins per account and per address (CONSOLE_SIGN_IN_LIMIT_*)."""
    limiter = app.extensions["callback.limiter"]
    for endpoint in SIGN_IN_ENDPOINTS:
        view = app.view_functions[endpoint]
        per_account = limiter.limit(
            lambda: str(app.config["CONSOLE_SIGN_IN_LIMIT_PER_ACCOUNT"]),
            key_func=_account_key,
            methods=["POST"],
            deduct_when=_failed_sign_in,
            scope="console-sign-in-account",
            on_breach=_too_many_attempts,
        )
        per_address = limiter.limit(
            lambda: str(app.config["CONSOLE_SIGN_IN_LIMIT_PER_IP"]),
            key_func=lambda: "signin:" + client_key(),
            methods=["POST"],
            deduct_when=_failed_sign_in,
            scope="console-sign-in-address",
            on_breach=_too_many_attempts,
        )
        app.view_functions[endpoint] = per_address(per_account(view))
