"""Run and check the Alembic migrations that build the schema."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.util import CommandError
from sqlalchemy import Connection

from callback.models import Base

MIGRATIONS_DIR = Path(__file__).parent / "migrations"


def alembic_config(url: str | None = None, connection: Connection | None = None) -> Config:
    """Return an Alembic config for this project's migrations."""
    config = Config(str(MIGRATIONS_DIR / "alembic.ini"))
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    if url:
        config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def upgrade(url: str | None = None, connection: Connection | None = None) -> None:
    """Bring the database at `url` (or on `connection`) to the newest revision."""
    command.upgrade(alembic_config(url, connection), "head")


def pending_model_changes(connection: Connection) -> list[Any]:
    """Return the differences between the migrated schema and the models."""
    context = MigrationContext.configure(connection, opts={"compare_type": True})
    return list(compare_metadata(context, Base.metadata))


def revisions(connection: Connection) -> tuple[set[str], set[str]]:
    """Return the revisions the database is at and the newest ones this code knows."""
    current = set(MigrationContext.configure(connection).get_current_heads())
    return current, set(ScriptDirectory.from_config(alembic_config()).get_heads())


def known_revision(revision: str) -> bool:
    """Return whether this code has migration `revision` (a newer release may not)."""
    try:
        return ScriptDirectory.from_config(alembic_config()).get_revision(revision) is not None
    except CommandError:
        return False
