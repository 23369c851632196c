"""ID numbers (GB 11643) and CN phone numbers: accepted forms, and a specific message for
each way a number can be wrong."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from residents.masking import mask_id_number, mask_phone
from residents.validators import (
    birth_date_from_id_number,
    normalize_cn_phone,
    validate_cn_phone,
    validate_id_number,
)

from ..factories import make_id_number


def error_of(func, value) -> ValidationError:
    with pytest.raises(ValidationError) as exc:
        func(value)
    return exc.value


def test_the_design_example_ending_in_x_is_valid():
    assert validate_id_number("11010519491231002X") == "11010519491231002X"


@pytest.mark.parametrize(
    "typed",
    [
        "11010519491231002x",
        " 110105 19491231 002X ",
        "110105-19491231-002x",
        "１１０１０５１９４９１２３１００２Ｘ",
    ],
)
def test_id_numbers_are_normalised(typed):
    assert validate_id_number(typed) == "11010519491231002X"


@pytest.mark.parametrize(
    "number",
    [
        make_id_number("110105", date(1980, 5, 17), 123),
        make_id_number("310115", date(2000, 2, 29), 8),
        make_id_number("440305", date(2012, 12, 1), 77),
    ],
)
def test_generated_id_numbers_are_valid_and_give_their_birth_date(number):
    assert validate_id_number(number) == number
    assert birth_date_from_id_number(number) == date(
        int(number[6:10]), int(number[10:12]), int(number[12:14])
    )


@pytest.mark.parametrize("value", ["1101051949123100", "11010519491231002X1", ""])
def test_wrong_length_says_so(value):
    exc = error_of(validate_id_number, value)
    assert exc.code == "length"
    assert "18 characters" in exc.messages[0]
    assert f"this one has {len(value.strip())}" in exc.messages[0]


@pytest.mark.parametrize(
    "value", ["11010519491231002A", "1101051949123100X2", "A10105194912310020"]
)
def test_wrong_format_says_digits_and_x(value):
    exc = error_of(validate_id_number, value)
    assert exc.code == "format"
    assert "17 digits followed by a digit or X" in exc.messages[0]


def test_impossible_birth_date_is_named():
    body = "11010519490230002"  # 30 February
    exc = error_of(validate_id_number, body + "0")
    assert exc.code == "birth_date"
    assert "19490230" in exc.messages[0]
    assert "not a valid birth date" in exc.messages[0]


def test_future_birth_date_is_named():
    tomorrow = timezone.localdate() + timedelta(days=1)
    exc = error_of(validate_id_number, make_id_number(birth=tomorrow))
    assert exc.code == "birth_date_future"
    assert tomorrow.isoformat() in exc.messages[0]
    assert "in the future" in exc.messages[0]


def test_unknown_region_code_is_named():
    exc = error_of(validate_id_number, make_id_number(region="999999", birth=date(1980, 1, 1)))
    assert exc.code == "region"
    assert "999999" in exc.messages[0]
    assert "not a known county code" in exc.messages[0]


def test_checksum_mismatch_is_named():
    good = make_id_number(birth=date(1980, 1, 1), seq=5)
    bad = good[:-1] + ("0" if good[-1] != "0" else "1")
    exc = error_of(validate_id_number, bad)
    assert exc.code == "checksum"
    assert "GB 11643" in exc.messages[0]


def test_a_transposed_digit_is_caught_by_the_checksum():
    good = make_id_number(birth=date(1980, 1, 1), seq=123)
    swapped = good[:14] + good[15] + good[14] + good[16:]
    assert error_of(validate_id_number, swapped).code == "checksum"


def test_birth_date_from_an_invalid_number_raises():
    with pytest.raises(ValidationError):
        birth_date_from_id_number("110105194912310021")


@pytest.mark.parametrize(
    ("typed", "normal"),
    [
        ("13912345678", "13912345678"),
        ("139 1234 5678", "13912345678"),
        ("139-1234-5678", "13912345678"),
        ("+86 139 1234 5678", "13912345678"),
        ("+8613912345678", "13912345678"),
        ("0086 13912345678", "13912345678"),
        ("１３９１２３４５６７８", "13912345678"),
        ("010-65529988", "1065529988"),
        ("(010) 6552 9988", "1065529988"),
        ("+86 10 6552 9988", "1065529988"),
        ("021-62345678", "2162345678"),
    ],
)
def test_good_phones_are_normalised_to_national_digits(typed, normal):
    assert normalize_cn_phone(typed) == normal
    validate_cn_phone(typed)


@pytest.mark.parametrize(
    "value", ["12345", "1391234567", "139123456789", "11111111111", "abc", "95588", ""]
)
def test_invalid_phones_get_a_clear_message(value):
    exc = error_of(normalize_cn_phone, value)
    assert exc.code == "invalid"
    assert "not a valid phone number in China" in exc.messages[0]


def test_foreign_phone_is_refused():
    exc = error_of(normalize_cn_phone, "+1 650 253 0000")
    assert exc.code == "not_cn"


def test_hotline_is_not_a_personal_phone():
    exc = error_of(normalize_cn_phone, "400-812-3123")
    assert exc.code == "not_personal"


@pytest.mark.parametrize(
    ("value", "masked"),
    [("11010519491231002X", "110105********002*"), ("", "")],
)
def test_id_number_mask(value, masked):
    assert mask_id_number(value) == masked


@pytest.mark.parametrize(
    ("value", "masked"),
    [
        ("13912345678", "139****5678"),
        ("1065529988", "10****9988"),
        ("62345678", "****5678"),
        ("12345", "****5"),
        ("123", "***"),
        ("", ""),
    ],
)
def test_phone_mask_always_hides_at_least_four_digits(value, masked):
    assert mask_phone(value) == masked


@pytest.mark.parametrize(
    ("region", "born"),
    [
        # 130102 长安区 (石家庄) was created in 1983 ([1983-]): a woman born there in 1960
        # got her number when it existed, and carries it still.
        ("130102", date(1960, 5, 1)),
        # 110111 房山区 [1986-], born 1950.
        ("110111", date(1950, 3, 9)),
        # 110103 崇文区 [-2010], since merged into 东城区: still on people's cards.
        ("110103", date(1975, 7, 2)),
    ],
)
def test_a_county_code_created_or_abolished_outside_the_birth_year_is_accepted(region, born):
    number = make_id_number(region=region, birth=born, seq=12)
    assert validate_id_number(number) == number
    assert birth_date_from_id_number(number) == born


def test_a_valid_region_does_not_excuse_a_bad_checksum():
    number = make_id_number(region="130102", birth=date(1960, 5, 1))
    wrong = number[:-1] + ("0" if number[-1] != "0" else "1")
    assert error_of(validate_id_number, wrong).code == "checksum"
