"""Lifecycle fixtures: rows aged past the reconciler's cut-off."""

from __future__ import annotations

from datetime import timedelta

# Well past every cut-off the reconciler uses (stale work, silent calls, creates in flight).
LONG_AGO = timedelta(minutes=10)
