"""The permission matrix's world: creator A and brand A own secrets; creator B, a brand-B user,
a brand user without a brand, and an anonymous visitor try every admin URL on them.

Roles come from the product's own functions (``provision_creator``, the Brands group that
``migrate`` creates and a ``BrandMembership``); nothing here grants a permission by hand.
"""

from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.files.base import ContentFile
from django.utils import timezone
from wagtail.documents.models import Document
from wagtail.models import PageViewRestriction

from creators.models import CommissionRule, LedgerEntry, Payout, PayoutRun, TrackedLink
from media.models import Video, VideoStatus
from privacy.services.requests import file_request
from shop.models import (
    GroupCampaign,
    Order,
    OrderLine,
    Payment,
    ProductStatus,
    Promotion,
    StorefrontListing,
    SupplyOffer,
    SupplyTransfer,
    Voucher,
)
from tests.factories import make_brand, make_brand_user, make_creator, make_guide, make_image, make_product

# Every string here belongs to creator A, brand A or a buyer; no other role may read it.
SECRETS = {
    "draft page title": "Alpha unpublished draft 5521",
    "private page title": "Alpha password page 5522",
    "private video title": "Alpha private video 5523",
    "draft product title": "Alpha archived gadget 5524",
    "draft product SKU": "ALPHA-SKU-5525",
    "exact on-hand stock": "987653",
    "voucher code": "ALPHAVOUCHER5526",
    "buyer email": "buyer-5527@victim.example",
    "buyer name": "Vicky Victimova",
    "buyer address": "5528 Hidden Lane",
    "order number": "KS-ALPHA-5529",
    "payment intent id": "pi_alpha_5530",
    "ledger amount": "4321.98",
    "payout amount": "8765.43",
    "tracked link code": "alpha-link-5531",
    "commission rate": "0.4321",
    "draft product deal": "Alpha archived deal 5532",
    "live chapter title": "Alpha unreleased chapter 5533",
    "draft product group buy": "Alpha archived group price 5534",
    "draft product supply wholesale": "6543.21",
    "storefront listing price": "6999.95",
    "share link code": "alpha-share-5535",
    "reward amount": "3210.87",
    "brand transfer failure": "acct_alpha_5536 was refused",
}


@dataclass
class World:
    creator_a: object
    creator_b: object
    brand_user_b: object
    brandless_user: object
    draft_page: object
    private_page: object
    video: object
    draft_product: object
    active_product: object
    order: object
    payment: object
    voucher: object
    ledger_entry: object
    payout: object
    tracked_link: object
    commission_rule: object
    image: object
    document: object
    victims: list = field(default_factory=list)


def _ended_live_session(creator, product):
    """Creator A's session, ended, its chapter renamed but the replay not out yet (the console shows it)."""
    from content.live.models import ReplayChapter
    from content.live.services import end_session, pin_product, session_of, start_session
    from tests.live.helpers import make_session

    page = make_session(creator, products=[product], title="Alpha live")
    start_session(page)
    pin_product(page, product_id=product.pk)
    end_session(page)
    ReplayChapter.objects.filter(session__page=page).update(title=SECRETS["live chapter title"])
    return session_of(page)


@pytest.fixture
def world(db, site_tree) -> World:
    creator_a, creator_b = make_creator("alpha"), make_creator("bravo")
    brand_a, brand_b = make_brand("Alpha Brand"), make_brand("Bravo Brand")

    draft_page = make_guide(creator_a, title=SECRETS["draft page title"], publish=False)
    draft_page.get_workflow().start(draft_page, creator_a.user)  # awaiting moderation
    private_page = make_guide(creator_a, title=SECRETS["private page title"])
    PageViewRestriction.objects.create(page=private_page, restriction_type="password", password="letmein")

    video = Video.objects.create(
        title=SECRETS["private video title"], owner=creator_a.user, object_key="videos/alpha/clip.mp4",
        content_type="video/mp4", size_bytes=11, duration_seconds=95, status=VideoStatus.UPLOADED,
        uploaded_at=timezone.now(),
    )
    draft_product = make_product(
        brand=brand_a, title=SECRETS["draft product title"], status=ProductStatus.ARCHIVED,
        variants=[(SECRETS["draft product SKU"], "19.00", 3)],
    )
    active_product = make_product(
        brand=brand_a, title="Alpha public speaker", variants=[("ALPHA-PUBLIC-1", "99.00", int(SECRETS["exact on-hand stock"]))],
    )
    make_product(brand=brand_b, title="Bravo tent", variants=[("BRAVO-1", "250.00", 4)])

    deal = Promotion.objects.create(
        name=SECRETS["draft product deal"], variant=draft_product.variants.get(), price=Decimal("9.00"),
        currency="USD", starts_at=timezone.now() - timedelta(days=1), ends_at=timezone.now() + timedelta(days=30),
    )
    group_campaign = GroupCampaign.objects.create(
        promotion=Promotion.objects.create(
            kind="group", name=SECRETS["draft product group buy"], variant=draft_product.variants.get(),
            price=Decimal("8.00"), currency="USD", starts_at=timezone.now() - timedelta(days=1),
            ends_at=timezone.now() + timedelta(days=30)),
        team_size=3,
    )
    supply_offer = SupplyOffer.objects.create(
        variant=draft_product.variants.get(), market="US", currency="USD",
        wholesale_price=Decimal(SECRETS["draft product supply wholesale"]), recommended_price=Decimal("7000.00"),
        starts_at=timezone.now() - timedelta(days=1),
    )
    listing = StorefrontListing.objects.create(
        offer=supply_offer, creator_id=creator_a.pk, price=Decimal(SECRETS["storefront listing price"]),
    )
    voucher = Voucher.objects.create(code=SECRETS["voucher code"], kind="percentage", value=Decimal("10"),
                                     brand=brand_a)  # brand A's own voucher: brand B's user must not see it
    order = Order.objects.create(
        number=SECRETS["order number"], currency="USD", subtotal=Decimal("99.00"), total=Decimal("99.00"),
        email=SECRETS["buyer email"], shipping_name=SECRETS["buyer name"], shipping_line1=SECRETS["buyer address"],
        shipping_city="Springfield", shipping_postal_code="12345", shipping_country="US", fulfilment_method="shipping",
    )
    public_variant = active_product.variants.get()
    line = OrderLine.objects.create(
        order=order, variant=public_variant, sku=public_variant.sku, product_title=active_product.title,
        brand_id=brand_a.pk, unit_price=Decimal("99.00"), currency="USD", quantity=1, line_total=Decimal("99.00"),
        creator_id=creator_a.pk,
    )
    payment = Payment.objects.create(
        order=order, gateway="dummy", intent_id=SECRETS["payment intent id"], amount=Decimal("99.00"), currency="USD",
    )
    # Brand A's wholesale payable, failed: only staff with the transfer permissions see or retry it.
    supply_transfer = SupplyTransfer.objects.create(
        order=order, payee_kind="brand", payee_id=brand_a.pk, amount=Decimal("40.00"), currency="USD",
        transfer_group="kolshop-order-alpha", idempotency_key="kolshop-supply-alpha-brand", status="failed",
        attempts=1, failure_message=SECRETS["brand transfer failure"],
    )
    now = timezone.now()
    run = PayoutRun.objects.create(started_at=now, threshold=Decimal("50.00"))
    payout = Payout.objects.create(
        run=run, creator=creator_a, amount=Decimal(SECRETS["payout amount"]), currency="USD", destination="acct_alpha",
        transfer_group="alpha-run-1", idempotency_key="alpha-run-1",
    )
    ledger_entry = LedgerEntry.objects.create(
        creator=creator_a, kind="accrual", amount=Decimal(SECRETS["ledger amount"]), currency="USD", order_id=order.pk,
        order_line_id=line.pk, source_ref="paid", effective_at=now - timedelta(days=1),
    )
    tracked_link = TrackedLink.objects.create(
        code=SECRETS["tracked link code"], creator=creator_a, target_kind="product", product=active_product,
    )
    reader_victims = _reader_share_rows(creator_a, active_product, order, now=now)
    commission_rule = CommissionRule.objects.create(
        scope="creator", creator=creator_a, rate=Decimal(SECRETS["commission rate"]), valid_from=now - timedelta(days=30),
    )
    image = make_image("Alpha photo")
    image.uploaded_by_user = creator_a.user
    image.save()
    document = Document.objects.create(title="Alpha notes", uploaded_by_user=creator_a.user)
    document.file.save("alpha-notes.txt", ContentFile(b"alpha"), save=True)

    live_session = _ended_live_session(creator_a, active_product)

    world = World(
        creator_a=creator_a, creator_b=creator_b,
        brand_user_b=make_brand_user("bravo-brand-manager", brand=brand_b),
        brandless_user=make_brand_user("brandless-manager"),
        draft_page=draft_page, private_page=private_page, video=video, draft_product=draft_product,
        active_product=active_product, order=order, payment=payment, voucher=voucher, ledger_entry=ledger_entry,
        payout=payout, tracked_link=tracked_link, commission_rule=commission_rule, image=image, document=document,
    )
    world.victims = [
        draft_page.page_ptr, private_page.page_ptr, video, draft_product, draft_product.variants.get(),
        draft_product.variants.get().stock, active_product, order, payment, voucher, ledger_entry, payout,
        tracked_link, commission_rule, image, document, brand_a, creator_a, creator_a.user, deal,
        live_session.page.page_ptr, live_session, group_campaign, supply_offer, listing, supply_transfer,
        *reader_victims,
        _data_subject_request(),
    ]
    return world


def _reader_share_rows(creator_a, product, order, *, now) -> list:
    """A reader (the victim buyer) sharing creator A's product, a reward and a refused reward."""
    from readers.models import Reader, RewardEntry, RewardRefusal
    from shop.services.buyer_identity import buyer_key

    reader = Reader.objects.create(email=SECRETS["buyer email"], buyer_key=buyer_key(SECRETS["buyer email"]),
                                   verified_at=now)
    share = TrackedLink.objects.create(code=SECRETS["share link code"], creator=creator_a, target_kind="product",
                                       product=product, kind="reader_share", sharer_id=reader.pk)
    reward = RewardEntry.objects.create(reader=reader, kind="accrual", amount=Decimal(SECRETS["reward amount"]),
                                        currency="USD", order_id=order.pk, link_id=share.pk, source_ref="paid",
                                        effective_at=now)
    refusal = RewardRefusal.objects.create(reader=reader, order_id=order.pk + 1000, link_id=share.pk,
                                           reason="self_purchase", decided_at=now)
    return [reader, share, reward, refusal]


def _data_subject_request():
    """The buyer's open request to erase their data (it still holds their e-mail)."""
    return file_request(email=SECRETS["buyer email"], kind="erase")
