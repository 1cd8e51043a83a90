"""Positive numbers read from the environment: default when blank, refused when not."""

from __future__ import annotations

import pytest

from bot.platform.settings import SettingError, positive_float, positive_int


@pytest.mark.parametrize(
    ("environ", "expected"),
    [({}, 7), ({"N": ""}, 7), ({"N": "  "}, 7), ({"N": "500"}, 500), ({"N": " 3 "}, 3)],
)
def test_positive_int_reads_the_variable_or_the_default(environ, expected):
    assert positive_int(environ, "N", 7) == expected


@pytest.mark.parametrize("raw", ["lots", "0", "-5", "2.5", "1e3"])
def test_positive_int_refuses_what_is_not_a_whole_number_above_zero(raw):
    with pytest.raises(SettingError) as caught:
        positive_int({"N": raw}, "N", 7)
    assert (caught.value.name, caught.value.raw) == ("N", raw)
    assert str(caught.value) == f"N must be a whole number of at least 1, got {raw!r}"


@pytest.mark.parametrize(
    ("environ", "expected"),
    [({}, 4.0), ({"T": " "}, 4.0), ({"T": "0.5"}, 0.5), ({"T": " 2 "}, 2.0)],
)
def test_positive_float_reads_the_variable_or_the_default(environ, expected):
    assert positive_float(environ, "T", 4.0) == expected


@pytest.mark.parametrize("raw", ["soon", "0", "-1", "0.0"])
def test_positive_float_refuses_what_is_not_a_number_above_zero(raw):
    with pytest.raises(SettingError, match=f"T must be a positive number, got {raw!r}"):
        positive_float({"T": raw}, "T", 4.0)


def test_a_setting_error_is_a_value_error():
    with pytest.raises(ValueError, match="N"):
        positive_int({"N": "x"}, "N", 1)
