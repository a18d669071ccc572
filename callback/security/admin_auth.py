"""Bearer-token protection for the admin API and ops pages: the ADMIN_TOKENS.

These are the bootstrap and break-glass credentials. The admin API also accepts
personal API keys; callback/accounts/access.py decides between the two (this layer
knows nothing of accounts).
"""

from __future__ import annotations

import hmac

from flask import current_app


def token_is_valid(presented: str) -> bool:
    """Compare `presented` with every configured token in constant time."""
    found = False
    for token in current_app.config["ADMIN_TOKENS"]:
        found |= hmac.compare_digest(token.encode(), presented.encode())
    return found
