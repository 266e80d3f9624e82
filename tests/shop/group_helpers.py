"""Group-buy test helpers: a campaign on a fresh variant, and buyers to open and join its teams."""

from datetime import timedelta
from decimal import Decimal

from django.utils import timezone

from shop.models import GroupCampaign, Promotion, PromotionKind
from shop.services.groupbuy import GroupBuyer
from tests.shop.helpers import US_ADDRESS, variant_with_stock


def make_campaign(sku: str = "GRP-1", *, price: str = "30.00", group_price: str = "20.00", on_hand: int = 20,
                  team_size: int = 3, window: timedelta = timedelta(hours=24), unit_cap: int | None = None,
                  per_buyer_limit: int | None = None, team_cap: int | None = None,
                  new_buyers_only: bool = False) -> GroupCampaign:
    variant = variant_with_stock(sku, price=price, on_hand=on_hand)
    now = timezone.now()
    promotion = Promotion.objects.create(
        kind=PromotionKind.GROUP, name=f"Group {sku}", variant=variant, price=Decimal(group_price),
        currency=variant.currency, starts_at=now - timedelta(hours=1), ends_at=now + timedelta(days=7),
        unit_cap=unit_cap, per_buyer_limit=per_buyer_limit,
    )
    return GroupCampaign.objects.create(promotion=promotion, team_size=team_size, window=window,
                                        team_cap=team_cap, new_buyers_only=new_buyers_only)


def buyer(n: int | str, *, quantity: int = 1, name: str = "", payment_method: str = "",
          fulfilment: str = "shipping") -> GroupBuyer:
    return GroupBuyer(email=f"reader{n}@example.com", name=name or f"Reader{n} Surname", quantity=quantity,
                      fulfilment=fulfilment, address=US_ADDRESS if fulfilment == "shipping" else None,
                      payment_method=payment_method)
