"""Routing's busy-agent check keeps its index when PostgreSQL plans it once for all values.

psycopg prepares a statement after five runs, and PostgreSQL may then use a generic plan,
made without the parameters' values. A partial index can only serve such a plan if the
statement states the index's predicate in literals.
"""

from __future__ import annotations

import pytest
from sqlalchemy import Engine, literal, select

from callback.agents.routing import _on_a_call


def test_the_busy_agent_check_uses_the_live_leg_index_in_a_generic_plan(engine: Engine) -> None:
    if engine.dialect.name != "postgresql":
        pytest.skip("a PostgreSQL planner question")
    compiled = select(literal(1)).where(_on_a_call(5)).compile(dialect=engine.dialect)
    with engine.connect() as connection:
        connection.exec_driver_sql("SET LOCAL plan_cache_mode = force_generic_plan")
        connection.exec_driver_sql("SET LOCAL enable_seqscan = off")  # whatever the table holds
        plan = connection.exec_driver_sql(f"EXPLAIN {compiled}", compiled.params).scalars().all()
        connection.rollback()
    assert any("ix_call_attempts_live_agent" in line for line in plan), plan
