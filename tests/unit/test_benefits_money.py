"""Money in fen: shares and raises rounded half up to the fen, display in yuan, sums exact over many grants."""
import random

import pytest

from services.benefits.domain.money import fen_from_yuan, monthly_share, percent_of, raised_by, yuan


@pytest.mark.parametrize("fen, percent, share", [
    (900_001, 50, 450_001),   # 4,500.005 yuan rounds half up
    (900_000, 50, 450_000), (1, 50, 1), (1, 49, 0), (333, 30, 100), (0, 40, 0),
])
def test_percent_of_rounds_half_up_to_the_fen(fen, percent, share):
    assert percent_of(fen, percent) == share


@pytest.mark.parametrize("fen, percent, raised", [(140_376_000, 15, 161_432_400), (101, 5, 106)])
def test_raised_by(fen, percent, raised):
    assert raised_by(fen, percent) == raised


@pytest.mark.parametrize("yearly, months, share", [
    (2_798_000, 6, 1_399_000), (8_815_000, 12, 8_815_000), (100, 6, 50), (101, 6, 51),
    (1, 6, 1), (1, 5, 0),
])
def test_months_of_a_yearly_amount(yearly, months, share):
    assert monthly_share(yearly, months) == share


@pytest.mark.parametrize("fen, text", [
    (106_600_000, "1,066,000.00"), (227_100_000, "2,271,000.00"), (5, "0.05"), (0, "0.00"),
    (-150, "-1.50"), (123_456_789, "1,234,567.89"),
])
def test_yuan_with_two_decimals_for_display(fen, text):
    assert yuan(fen) == text
    assert fen_from_yuan(text) == fen


@pytest.mark.parametrize("bad", ["1.234", "abc", "1e5", "１２", ""])
def test_only_plain_yuan_amounts_parse(bad):
    with pytest.raises(ValueError):
        fen_from_yuan(bad)


def test_refusing_negative_shares():
    with pytest.raises(ValueError):
        percent_of(-1, 5)


def test_thousands_of_grants_survive_display_and_back_to_the_fen():
    rng = random.Random(2020)
    grants = [rng.randrange(1, 1_320_001) for _ in range(10_435)]
    assert sum(fen_from_yuan(yuan(g)) for g in grants) == sum(grants)
    assert yuan(sum(grants)) == f"{sum(grants) // 100:,}.{sum(grants) % 100:02d}"
