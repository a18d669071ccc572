"""Sending e-mail through the SMTP server SMTP_URL names, from MAIL_FROM.

    smtp://user:pass@host:587      STARTTLS, required: a server that does not offer it is refused
    smtps://user:pass@host:465     TLS from the first byte
    smtp://127.0.0.1:25?tls=off    plain, only to a relay on this machine

A user name or password with reserved characters is percent-encoded in the URL.
"""

from __future__ import annotations

import ipaddress
import smtplib
import ssl
from collections.abc import Sequence
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import make_msgid
from urllib.parse import parse_qs, unquote, urlsplit

from flask import current_app

# Connecting and each reply: a stuck server fails the job, which RQ retries later.
SMTP_TIMEOUT_SECONDS = 20
STARTTLS, TLS, PLAIN = "starttls", "tls", "plain"


class MailNotConfigured(Exception):
    """SMTP_URL is not set, or says something this module refuses to do."""


@dataclass(frozen=True)
class SmtpServer:
    host: str
    port: int
    security: str  # STARTTLS, TLS or PLAIN
    username: str | None
    password: str | None


def smtp_server(url: str | None) -> SmtpServer:
    """Return the server `url` names, or raise MailNotConfigured saying what is wrong."""
    if not url:
        raise MailNotConfigured("SMTP_URL is not set: alerts and digests are not e-mailed")
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    if parts.scheme not in {"smtp", "smtps"} or not host:
        raise MailNotConfigured("SMTP_URL must start smtp:// or smtps:// and name a host")
    tls_off = parse_qs(parts.query).get("tls") == ["off"]
    if parts.scheme == "smtps":
        security = TLS
    elif tls_off:
        # Plain SMTP would carry the password and the alerts readable over the network.
        if not _is_loopback(host):
            raise MailNotConfigured("SMTP_URL: tls=off is allowed only for a relay on loopback")
        security = PLAIN
    else:
        security = STARTTLS
    try:
        port = parts.port or (465 if security == TLS else 587 if security == STARTTLS else 25)
    except ValueError:
        raise MailNotConfigured("SMTP_URL has a port that is not a number") from None
    username = unquote(parts.username) if parts.username else None
    password = unquote(parts.password) if parts.password else None
    return SmtpServer(host, port, security, username, password)


def mail_configured() -> bool:
    """Return whether SMTP_URL is set (whether it is usable shows when sending)."""
    return bool(current_app.config.get("SMTP_URL"))


def send_mail(recipients: Sequence[str], subject: str, text: str) -> None:
    """Send a plain-text message to each of `recipients`; raise on any failure (the job retries).

    One message per recipient, over one connection: an alert list may hold addresses
    outside the company, and no recipient learns who else was told.
    """
    server = smtp_server(current_app.config.get("SMTP_URL"))
    with _connect(server) as smtp:
        for recipient in recipients:
            message = EmailMessage()
            message["From"] = current_app.config["MAIL_FROM"]
            message["To"] = recipient
            message["Subject"] = subject
            message["Message-ID"] = make_msgid(domain="callback.invalid")
            message.set_content(text)
            smtp.send_message(message)


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def _connect(server: SmtpServer) -> smtplib.SMTP:
    context = ssl.create_default_context()
    smtp: smtplib.SMTP
    if server.security == TLS:
        smtp = smtplib.SMTP_SSL(
            server.host, server.port, timeout=SMTP_TIMEOUT_SECONDS, context=context
        )
    else:
        smtp = smtplib.SMTP(server.host, server.port, timeout=SMTP_TIMEOUT_SECONDS)
    try:
        if server.security == STARTTLS:
            smtp.starttls(context=context)  # SMTPNotSupportedError when not offered
        if server.username:
            smtp.login(server.username, server.password or "")
    except BaseException:
        smtp.close()
        raise
    return smtp
