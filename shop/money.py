"""Exact money: Decimal amounts with two places beside an ISO currency; minor units for gateways."""

from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal

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


def allocate_capped(
    total: Decimal, weights: list[Decimal], *, caps: list[Decimal | None], currency: str,
) -> list[Decimal]:
    """Split ``total`` in proportion to ``weights`` in ``currency``'s minor unit, by largest remainder, no share
    above its cap (``None``: no cap). A share that reaches its cap gives the rest to the others; what no share
    can take is left out, so the shares add up to ``min(total, sum of caps)`` exactly. Ties go to the earlier
    share. A voucher's discount is spread over an order's lines this way (``vouchers.allocate_voucher_discount``)."""
    shares = [0] * len(weights)
    # a cap is rounded down: a share never exceeds it (a fee of 50.50 in yen carries 50, not 51)
    room = [None if cap is None else int((Decimal(cap) / minor_unit(currency)).to_integral_value(rounding=ROUND_DOWN))
            for cap in caps]
    open_ = [index for index, weight in enumerate(weights) if weight > 0 and (room[index] is None or room[index] > 0)]
    left = to_minor_units(total, currency)
    while left > 0 and open_:
        weight_sum = sum((Decimal(weights[index]) for index in open_), Decimal("0"))
        exact = {index: Decimal(left) * Decimal(weights[index]) / weight_sum for index in open_}
        full = [index for index in open_ if room[index] is not None and exact[index] >= room[index]]
        if full:
            for index in full:
                shares[index], left = room[index], left - room[index]
            open_ = [index for index in open_ if index not in full]
            continue
        for index in open_:
            shares[index] = int(exact[index])  # exact is positive: int() is the floor
        rest = left - sum(shares[index] for index in open_)
        by_remainder = sorted(open_, key=lambda index: (-(exact[index] - shares[index]), index))
        for index in by_remainder[:rest]:
            shares[index] += 1  # below its cap: exact < room, so floor + 1 <= room
        left = 0
    return [from_minor_units(share, currency) for share in shares]
