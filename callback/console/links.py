"""Links the console shows a person to send on to someone else."""

from __future__ import annotations

from flask import current_app, request

from callback.accounts import invitations


def invitation_link(token: str) -> str:
    """Return the join link for `token`: under PUBLIC_BASE_URL, else the console's own address."""
    base = current_app.config["PUBLIC_BASE_URL"] or request.host_url
    return invitations.invitation_link(token, base)
