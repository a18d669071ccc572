"""A number's checks compile no pattern once its region's patterns have been used.

phonenumbers compiles its metadata's patterns on each use unless its own pattern cache
is on; left to the re module's cache, under gunicorn they were compiled again on every
submission. `re.purge()` empties that cache, so anything compiled after it shows there.
"""

from __future__ import annotations

import re

import phonenumbers
from phonenumbers import PhoneNumberFormat, PhoneNumberType

from callback.phones.policy import parse_visitor_number


def _example(region: str, kind: int) -> str:
    number = phonenumbers.example_number_for_type(region, kind)
    return phonenumbers.format_number(number, PhoneNumberFormat.E164)


def test_checking_a_number_again_compiles_no_pattern() -> None:
    numbers = [_example("GB", PhoneNumberType.FIXED_LINE), _example("GB", PhoneNumberType.MOBILE)]
    for number in numbers:
        parse_visitor_number(number, "GB", ["GB"], ["FIXED_LINE", "MOBILE"])

    re.purge()
    for number in numbers:
        parse_visitor_number(number, "GB", ["GB"], ["FIXED_LINE", "MOBILE"])

    assert len(re._cache) == 0  # the re module's cache: what was compiled since the purge
