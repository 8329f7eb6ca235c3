"""Money as integer fen (分): sums and shares without floats; yuan with two decimals only for display."""


def percent_of(fen: int, percent: int) -> int:
    """`percent`% of `fen`, rounded half up to the fen (a nursing allowance's share of a wage)."""
    if fen < 0 or percent < 0:
        raise ValueError("amounts and percentages are never negative")
    return (fen * percent + 50) // 100


def raised_by(fen: int, percent: int) -> int:
    """`fen` raised by `percent`%, rounded half up to the fen (an honour's raise)."""
    return fen + percent_of(fen, percent)


def monthly_share(yearly_fen: int, months: int) -> int:
    """`months` months of a yearly amount, rounded half up to the fen: funeral aid's 6 or 12."""
    return (yearly_fen * months * 2 + 12) // 24


def yuan(fen: int) -> str:
    """Display form: 1066000.00 yuan as "1,066,000.00"; never parsed back."""
    sign = "-" if fen < 0 else ""
    whole, cents = divmod(abs(fen), 100)
    return f"{sign}{whole:,}.{cents:02d}"


def fen_from_yuan(text: str) -> int:
    """Parse "1234.5" or "1,234.56" yuan into fen exactly (for imports and tests, never floats)."""
    cleaned = text.replace(",", "").strip()
    negative = cleaned.startswith("-")
    whole, _, cents = cleaned.lstrip("-").partition(".")
    if not whole.isascii() or not whole.isdigit() or len(cents) > 2 or \
            (cents and not (cents.isascii() and cents.isdigit())):
        raise ValueError(f"not an amount in yuan: {text!r}")
    fen = int(whole) * 100 + int(cents.ljust(2, "0") or 0)
    return -fen if negative else fen
