"""The phone-shaped mask: every way a number is written, and none of our ids."""

from __future__ import annotations

import pytest

from callback.phones.masking import MASK, mask_phone_shaped


@pytest.mark.parametrize(
    "text",
    [
        "+442079460123",
        "+44 20 7946 0123",
        "020 7946 0123",
        "(020) 7946-0123",
        "02079460123",
        "442079460123",
        "To=%2B442079460123",
        "+44 (0)20 7946 0123",
        "020.7946.0123",
        "+44.2079460123",
    ],
)
def test_numbers_in_any_format_are_masked(text: str) -> None:
    assert "7946" not in mask_phone_shaped(f"calling {text} now")
    assert MASK in mask_phone_shaped(text)


@pytest.mark.parametrize(
    "text",
    [
        "job=dial-3f2b1c9e-1234-5678-9abc-def012345678-r1-s0",
        "call=CA1234567890abcdef1234567890abcdef",
        "at 2026-11-27 10:00:00",
        "from 192.168.100.200",
        "attempt=12 code=21211 status=400",
        '{"time": "2026-12-01T03:14:08.630867+00:00", "took": 1764558848.25}',
    ],
)
def test_ids_dates_and_codes_are_left_alone(text: str) -> None:
    assert mask_phone_shaped(text) == text
