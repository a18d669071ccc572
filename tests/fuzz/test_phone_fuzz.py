"""The phone parser takes anything a visitor types: a number or a refusal, never a crash."""

from __future__ import annotations

import phonenumbers
from hypothesis import given, settings
from hypothesis import strategies as st

from callback.models.widget import DEFAULT_ALLOWED_NUMBER_TYPES
from callback.phones.masking import mask
from callback.phones.policy import PhoneRejected, VisitorNumber, parse_visitor_number

FUZZ = settings(max_examples=300, deadline=None, database=None)
REGIONS = st.sampled_from([*sorted(phonenumbers.SUPPORTED_REGIONS), "ZZ", "", "gb", "XX"])
TYPED = st.one_of(
    st.text(max_size=80),
    st.text(alphabet="0123456789+ ()-./#*xX\u0660\u06f1\uff11", max_size=40),
    st.from_regex(r"\+?[0-9 ]{1,20}", fullmatch=True),
)
CODES = {
    "phone_required",
    "invalid_number",
    "country_not_allowed",
    "number_type_not_allowed",
}


def parse(typed: str, region: str) -> VisitorNumber | str:
    try:
        return parse_visitor_number(
            typed, region, [region or "GB"], list(DEFAULT_ALLOWED_NUMBER_TYPES)
        )
    except PhoneRejected as rejected:
        return rejected.code


@FUZZ
@given(typed=TYPED, region=REGIONS)
def test_any_typed_text_is_a_number_or_a_known_refusal(typed: str, region: str) -> None:
    result = parse(typed, region)
    if isinstance(result, str):
        assert result in CODES
        return
    # Whatever was accepted is a valid, allowed, E.164 number of the widget's country.
    number = phonenumbers.parse(result.e164)
    assert result.e164.startswith("+")
    assert result.e164[1:].isdigit()
    assert phonenumbers.is_valid_number(number)
    assert result.number_type in DEFAULT_ALLOWED_NUMBER_TYPES
    assert result.country == (region or "GB").upper()


@FUZZ
@given(value=st.one_of(st.none(), st.text(max_size=40)))
def test_masking_never_fails(value: str | None) -> None:
    assert mask(value) is None or isinstance(mask(value), str)


@FUZZ
@given(value=st.from_regex(r"\+[1-9][0-9]{7,14}", fullmatch=True))
def test_masking_keeps_only_the_country_code_and_last_two_digits(value: str) -> None:
    masked = mask(value) or ""
    if masked == "***":
        return  # not a number phonenumbers can read: nothing of it is shown
    visible = masked.replace("*", "")
    assert len(masked) == len(value)
    assert value.startswith(visible[:-2])
    assert value.endswith(visible[-2:])
    assert len(visible) <= 1 + 3 + 2
