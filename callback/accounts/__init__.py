"""People who run the service: accounts, roles and what each may see, invitations, API keys.

Signing in (passwords, sessions, second factors) is Flask-Security-Too's, set up by the
console (callback/console/auth.py); this package holds the rules it does not know.
"""
