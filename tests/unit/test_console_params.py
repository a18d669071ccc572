"""Ids typed into console query strings and forms: only plain, storable whole numbers."""

from __future__ import annotations

import pytest

from callback.console.params import whole_id


@pytest.mark.parametrize(("typed", "read"), [("1", 1), ("42", 42), ("999999999", 999999999)])
def test_a_plain_whole_number_is_an_id(typed: str, read: int) -> None:
    assert whole_id(typed) == read


@pytest.mark.parametrize(
    "typed",
    [
        None,
        "",
        " 1",
        "-1",
        "0",
        "1.0",
        "\u00b2",  # "²".isdigit() is True, yet int() refuses it
        "\u0661",  # Arabic-Indic one: int() reads it, no one types it for an id
        "1000000000",  # ten digits: past what an id column holds here
        "9" * 20,  # past what SQLite and PostgreSQL integers hold
    ],
)
def test_anything_else_is_no_id(typed: str | None) -> None:
    assert whole_id(typed) is None
