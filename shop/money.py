"""Exact money: Decimal amounts with two places beside an ISO currency; minor units for gateways."""

from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")
# Currencies Stripe counts in whole units (no minor unit).
_ZERO_DECIMAL_CURRENCIES = {"BIF", "CLP", "DJF", "GNF", "JPY", "KMF", "KRW", "MGA", "PYG", "RWF", "UGX", "VND",
                            "VUV", "XAF", "XOF", "XPF"}


def quantize(amount: Decimal) -> Decimal:
    return Decimal(amount).quantize(CENT, rounding=ROUND_HALF_UP)


def minor_unit(currency: str) -> Decimal:
    """The smallest amount a gateway can move in ``currency``: one yen for JPY, one cent for USD."""
    return Decimal("1") if (currency or "").upper() in _ZERO_DECIMAL_CURRENCIES else CENT


def quantize_minor(amount: Decimal, currency: str, *, rounding: str = ROUND_HALF_UP) -> Decimal:
    """``amount`` rounded to the currency's minor unit, kept with two places (JPY 50.50 → 51.00)."""
    return Decimal(amount).quantize(minor_unit(currency), rounding=rounding).quantize(CENT)


def to_minor_units(amount: Decimal, currency: str) -> int:
    return int(quantize_minor(amount, currency) / minor_unit(currency))


def from_minor_units(amount: int, currency: str) -> Decimal:
    if currency.upper() in _ZERO_DECIMAL_CURRENCIES:
        return quantize(Decimal(amount))
    return quantize(Decimal(amount) / 100)


def allocate(total: Decimal, weights: list[Decimal]) -> list[Decimal]:
    """Split ``total`` in proportion to ``weights`` to the cent; the last share takes the rounding rest."""
    weight_sum = sum(weights, Decimal("0"))
    if not weights or weight_sum == 0:
        return [Decimal("0.00") for _ in weights]
    shares = [quantize(total * weight / weight_sum) for weight in weights[:-1]]
    shares.append(quantize(total - sum(shares, Decimal("0"))))
    return shares
