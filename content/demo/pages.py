"""Demo guides (every block type) and one scheduled live session, published through revisions."""

import json
import uuid
from datetime import timedelta

from django.utils import timezone

from content.models import BuyingGuidePage, LiveSessionPage
from content.demo.people import DemoPeople
from creators.models import CreatorPage
from shop.models import Product, Promotion

_NAMESPACE = uuid.UUID("5b0c3a52-43c1-4ad1-9a55-4f6a1c0d7e11")

GUIDES = {
    "miachen": ("My 10 picks for better sound at home", "northwind-audio", ["audio", "gift-guide"]),
    "leopark": ("Everything I pack for a weekend in the hills", "trailhead-outdoor", ["outdoor"]),
    "avarossi": ("The morning routine: skin and coffee", "lumen-skincare", ["beauty", "kitchen"]),
}


def _block_id(*parts: str) -> str:
    return str(uuid.uuid5(_NAMESPACE, "/".join(parts)))


def _first_variant_id(product: Product) -> int:
    return product.variants.order_by("sort_order", "pk").values_list("pk", flat=True)[0]


def demo_deal(key: str, product: Product) -> Promotion:
    """A two-week reader deal at 80 % of the product's cheapest variant, capped at 50 units, 2 per buyer."""
    cheapest = min(product.variants.all(), key=lambda v: v.price)
    now = timezone.now().replace(microsecond=0)
    promotion, _ = Promotion.objects.get_or_create(name=f"Reader deal ({key})", variant=cheapest, defaults={
        "price": (cheapest.price * 8 / 10).quantize(cheapest.price), "currency": cheapest.currency,
        "starts_at": now, "ends_at": now + timedelta(days=14), "unit_cap": 50, "per_buyer_limit": 2,
    })
    return promotion


def guide_body(key: str, picks: list[Product], look_image_id: int) -> list[dict]:
    """A body using every block type; ids are stable so attribution survives re-running the loader."""
    return [
        {"type": "heading", "id": _block_id(key, "h1"), "value": "Why these"},
        {"type": "paragraph", "id": _block_id(key, "p1"), "value": "<p>I used each of these for at least a month.</p>"},
        {"type": "product_card", "id": _block_id(key, "card"), "value": {
            "product": picks[0].pk, "variant": _first_variant_id(picks[0]), "note": "<p>My daily driver.</p>"}},
        {"type": "product_grid", "id": _block_id(key, "grid"), "value": {
            "title": "Also great", "layout": "grid",
            "items": [{"type": "item", "id": _block_id(key, "grid", str(p.pk)), "value": {"product": p.pk, "variant": None, "caption": ""}}
                      for p in picks[1:4]]}},
        {"type": "comparison_table", "id": _block_id(key, "compare"), "value": {
            "title": "Side by side", "show_price": True,
            "products": [{"type": "item", "id": _block_id(key, "cmp", str(p.pk)), "value": p.pk} for p in picks[0:3]],
            "attributes": [{"type": "item", "id": _block_id(key, "attr", name), "value": name} for name in ("Weight", "Warranty")]}},
        {"type": "shop_the_look", "id": _block_id(key, "look"), "value": {
            "image": look_image_id, "caption": "The whole set-up",
            "hotspots": [{"type": "item", "id": _block_id(key, "spot", str(p.pk)), "value": {
                "product": p.pk, "variant": None, "x": str(20 + 25 * i), "y": "50", "label": p.title.split()[-2]}}
                for i, p in enumerate(picks[1:4])]}},
        {"type": "deal", "id": _block_id(key, "deal"), "value": {
            "deal": demo_deal(key, picks[4]).pk, "note": "Reader deal"}},
    ]


def _publish_under(parent: CreatorPage, page, *, owner, editor) -> None:
    """The creator writes the page; the editor approves and publishes it (as the workflow would)."""
    page.owner = owner
    parent.add_child(instance=page)
    page.save_revision(user=owner).publish(user=editor)


def load_pages(*, people: DemoPeople, products: dict[str, Product]) -> int:
    created = 0
    for handle, (title, brand_slug, tags) in GUIDES.items():
        creator = people.creators[handle]
        storefront = CreatorPage.objects.get(creator=creator)
        slug = "picks"
        if BuyingGuidePage.objects.child_of(storefront).filter(slug=slug).exists():
            continue
        picks = [product for product in products.values() if product.brand.slug == brand_slug][:5]
        look_image = picks[0].images.first().image
        guide = BuyingGuidePage(
            title=title, slug=slug, summary=f"{creator.display_name}'s tested favourites.",
            hero_image=look_image, body=json.dumps(guide_body(handle, picks, look_image.pk)),
        )
        guide.tags.add(*tags)
        _publish_under(storefront, guide, owner=creator.user, editor=people.editor)
        created += 1

    mia = people.creators["miachen"]
    storefront = CreatorPage.objects.get(creator=mia)
    if not LiveSessionPage.objects.child_of(storefront).filter(slug="friday-live").exists():
        starts_at = (timezone.now() + timedelta(days=3)).replace(minute=0, second=0, microsecond=0)
        pinned = [product for product in products.values() if product.brand.slug == "kettle-and-co"][:2]
        session = LiveSessionPage(
            title="Friday live: coffee gear under $100", slug="friday-live", starts_at=starts_at,
            ends_at=starts_at + timedelta(hours=1), stream_url="https://stream.kolshop.example/miachen/friday.m3u8",
            summary="Grinders, kettles and scales, live, with questions.",
            body=json.dumps([
                {"type": "product_card", "id": _block_id("live", str(p.pk)), "value": {"product": p.pk, "variant": None, "note": ""}}
                for p in pinned
            ]),
        )
        session.tags.add("live", "kitchen")
        _publish_under(storefront, session, owner=mia.user, editor=people.editor)
        from content.live.services import session_of

        session_of(session)  # scheduled: Mia takes it live from the page's Live console
        created += 1
    return created
