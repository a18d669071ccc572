"""Tests that commit (e2e, browser, fuzz) leave no row behind for the tests after them."""

from __future__ import annotations

from callback.models import Base
from tests.e2e.conftest import TABLES_IN_DELETE_ORDER

# Emptied by their foreign keys' ON DELETE CASCADE with accounts and widgets.
CASCADED = {"accounts_roles", "account_widgets"}
# The console's roles: reference rows the migrations write, not test data.
KEPT = {"roles"}


def test_empty_tables_empties_every_table_of_the_model() -> None:
    emptied = {model.__table__.name for model in TABLES_IN_DELETE_ORDER}
    assert set(Base.metadata.tables) - emptied == CASCADED | KEPT
