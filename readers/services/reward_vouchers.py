"""The reader's reward vouchers: what they redeemed, and the remainders orders left of them."""

from django.db.models import Q

from readers.models import Reader, RewardEntry, RewardEntryKind
from shop.models import Voucher
from shop.services.vouchers import annotate_uses

VOUCHER_REF = "voucher:"  # a redemption's source_ref (readers.services.rewards.redeem_rewards)


def reward_vouchers(reader: Reader) -> list[Voucher]:
    """Each voucher the reader redeemed and every remainder an order left of them
    (``shop.services.voucher_remainders``), newest first, with ``use_count`` (``annotate_uses``). Two queries."""
    codes = [ref.removeprefix(VOUCHER_REF) for ref in RewardEntry.objects.filter(
        reader=reader, kind=RewardEntryKind.REDEMPTION, source_ref__startswith=VOUCHER_REF,
    ).values_list("source_ref", flat=True)]
    if not codes:
        return []
    return list(annotate_uses(Voucher.objects.filter(Q(code__in=codes) | Q(origin__code__in=codes)))
                .select_related("remainder_of").order_by("-created_at", "-pk"))
