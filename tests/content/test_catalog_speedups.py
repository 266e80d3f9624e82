"""The uncached page's shortcuts: buy links reused while a cached page could serve them, and catalog rows
made into instances without Django's per-row construction (equal to what Django builds)."""

import time as real_time
from datetime import timedelta
from decimal import Decimal
from types import SimpleNamespace

import django.core.signing
import pytest
from django.db.models import signals
from django.utils import timezone

import content.api.buy_links
from content.api.buy_links import page_buy_path
from content.blocks import ProductCardBlock, ProductVariantStructBlock
from content.services.catalog import PRODUCT_ROWS, PRODUCTS_BY_ID
from content.services.catalog_rows import SnapshotQuery, load_instances
from shop.attribution import Attribution, buy_path
from shop.models import Brand, Order, Product, ProductStatus, StockReservation, Variant
from shop.services.offers import with_availability
from tests.factories import (
    add_product_image, block, comparison_table, deal, make_brand, make_creator, make_guide, make_image, make_product,
    product_card, product_grid, shop_the_look,
)

pytestmark = pytest.mark.django_db

ATTRIBUTION = Attribution(creator_id=3, page_id=41, block_id="b1")


def _clocks(monkeypatch, *, signing_at: float, monotonic_at: float) -> None:
    monkeypatch.setattr(django.core.signing, "time", SimpleNamespace(time=lambda: signing_at))
    monkeypatch.setattr(content.api.buy_links, "time", SimpleNamespace(monotonic=lambda: monotonic_at))


def test_a_buy_link_is_reused_while_a_cached_page_could_still_serve_it(settings, monkeypatch):
    settings.KOLSHOP_API_CACHE_SECONDS = 300
    instant = real_time.time()
    _clocks(monkeypatch, signing_at=instant, monotonic_at=1000.0)
    first = page_buy_path("LAMP-1", ATTRIBUTION)
    assert first == buy_path("LAMP-1", ATTRIBUTION)

    _clocks(monkeypatch, signing_at=instant + 299, monotonic_at=1299.0)
    reused = page_buy_path("LAMP-1", ATTRIBUTION)
    _clocks(monkeypatch, signing_at=instant + 300, monotonic_at=1300.0)
    renewed = page_buy_path("LAMP-1", ATTRIBUTION)

    assert reused == first
    assert renewed != first and renewed == buy_path("LAMP-1", ATTRIBUTION)


def test_a_buy_link_is_signed_anew_when_caching_is_off_or_the_key_changes(settings, monkeypatch):
    settings.KOLSHOP_API_CACHE_SECONDS = 300
    instant = real_time.time()
    _clocks(monkeypatch, signing_at=instant, monotonic_at=1000.0)
    first = page_buy_path("LAMP-1", ATTRIBUTION)

    _clocks(monkeypatch, signing_at=instant + 5, monotonic_at=1005.0)
    settings.SECRET_KEY = "another-secret-key-for-this-test-only-0123456789"
    other_key = page_buy_path("LAMP-1", ATTRIBUTION)
    settings.KOLSHOP_API_CACHE_SECONDS = 0
    uncached = page_buy_path("LAMP-1", Attribution(creator_id=3, page_id=41, block_id="b2"))

    assert other_key != first and other_key == buy_path("LAMP-1", ATTRIBUTION)
    assert uncached == buy_path("LAMP-1", Attribution(creator_id=3, page_id=41, block_id="b2"))
    assert page_buy_path("LAMP-1", Attribution()) == "/buy/LAMP-1/"


def test_products_loaded_plainly_equal_what_django_builds():
    make_product(title="Lamp", variants=[("LAMP-1", "20.00", 3)])
    make_product(title="Desk", variants=[("DESK-1", "120.00", 1)])
    queryset = Product.objects.order_by("pk")

    plain = load_instances(queryset, joined={"brand": Brand})
    django_built = list(queryset.select_related("brand"))

    def fields(instance):
        return {field.attname: getattr(instance, field.attname) for field in type(instance)._meta.concrete_fields}

    assert [fields(product) for product in plain] == [fields(product) for product in django_built]
    assert [fields(product.brand) for product in plain] == [fields(product.brand) for product in django_built]
    assert all(not product._state.adding and product._state.db == "default" for product in plain)
    assert [list(product.variants.values_list("sku", flat=True)) for product in plain] == [["LAMP-1"], ["DESK-1"]]
    plain[0].title = "Lamp II"
    plain[0].save(update_fields=["title"])
    assert Product.objects.get(pk=plain[0].pk).title == "Lamp II"


def _variant_facts(variant) -> tuple:
    stock = getattr(variant, "stock", None)
    return (variant.pk, variant.product_id, variant.sku, variant.price, variant.compare_at_price, variant.currency,
            variant.option_values, variant.reserved_quantity, stock and (stock.pk, stock.on_hand, stock.updated_at))


def test_variants_read_by_compiled_sql_equal_what_django_reads_at_any_time_and_size(django_assert_num_queries):
    # given two products, one variant with an active hold of 2 units
    lamp = make_product(title="Lamp", variants=[("LAMP-1", "20.00", 3), ("LAMP-2", "25.00", 0)])
    desk = make_product(title="Desk", variants=[("DESK-1", "120.00", 1)])
    lamp_1 = lamp.variants.get(sku="LAMP-1")
    order = Order.objects.create(currency="USD", subtotal=Decimal("1.00"), total=Decimal("1.00"),
                                 email="ada@example.com", fulfilment_method="shipping")
    now = timezone.now()
    StockReservation.objects.create(variant=lamp_1, order=order, quantity=2, expires_at=now + timedelta(minutes=10))
    variants = PRODUCT_ROWS["variants"]

    # when they are read (again and again: the SQL is compiled once per number of ids) at two times
    for at in (now, now, now + timedelta(hours=1)):
        for ids in ([lamp.pk], [lamp.pk, desk.pk], [desk.pk, lamp.pk]):
            with django_assert_num_queries(1):
                plain = variants.instances(ids, now=at)
            django_built = with_availability(Variant.objects.filter(product_id__in=ids).order_by("sort_order", "pk"),
                                             now=at)

            # then they are what Django reads, the hold counted only while it lasts
            assert [_variant_facts(variant) for variant in plain] == [_variant_facts(v) for v in django_built]
            assert {v.sku: v.reserved_quantity for v in plain if v.product_id == lamp.pk} == {
                "LAMP-1": 2 if at == now else 0, "LAMP-2": 0}
    assert plain[0].stock.variant is plain[0] and not plain[0]._state.adding
    shapes = {shape for _alias, _vendor, shape in variants.query.plans}  # SQL compiled once per number of ids
    assert {(("ids", ("list", 1)), ("now", ("value", "datetime"))), (("ids", ("list", 2)), ("now", ("value", "datetime")))} <= shapes


def test_a_query_naming_its_ids_twice_reads_each_calls_ids_in_both_places(django_assert_num_queries):
    # given a query naming its ids twice
    lamp = make_product(title="Lamp", variants=[("LAMP-1", "20.00", 3)])
    desk = make_product(title="Desk", variants=[("DESK-1", "120.00", 1)])
    twice = SnapshotQuery(Product, lambda ids, now: Product.objects.filter(pk__in=ids).filter(pk__in=ids))

    # when it is read for one product, then another, then both: each read sees its own ids
    with django_assert_num_queries(1):
        assert [product.title for product in twice.instances([lamp.pk])] == ["Lamp"]
    assert [product.title for product in twice.instances([desk.pk])] == ["Desk"]
    assert sorted(product.title for product in twice.instances([desk.pk, lamp.pk])) == ["Desk", "Lamp"]
    assert len(twice.query.plans) == 2


def test_a_query_whose_time_cannot_be_placed_is_refused_at_its_first_read():
    # given a query said to use the time that leaves it out (its SQL would never see a later time)
    lamp = make_product(title="Lamp", variants=[("LAMP-1", "20.00", 3)])
    timeless = SnapshotQuery(Product, lambda ids, now: Product.objects.filter(pk__in=ids), uses_now=True)

    # when it is read, then it is refused, and stays so
    for _attempt in range(2):
        with pytest.raises(ValueError, match="shop.Product snapshot rows: .*'now'.* reached the SQL altered"):
            timeless.instances([lamp.pk], now=timezone.now())
    assert timeless.query.plans == {}


def test_the_snapshot_leaves_unshown_time_stamps_deferred_and_reads_them_when_asked(django_assert_num_queries):
    # given a product with a variant and its stock
    lamp = make_product(title="Lamp", variants=[("LAMP-1", "20.00", 3)])
    django_built = Product.objects.select_related("brand").get(pk=lamp.pk)
    stock_built = Variant.objects.select_related("stock").get(sku="LAMP-1").stock

    # when the snapshot reads it
    with django_assert_num_queries(1):
        [product] = PRODUCTS_BY_ID.instances([lamp.pk])
    with django_assert_num_queries(1):
        [variant] = PRODUCT_ROWS["variants"].instances([lamp.pk], now=timezone.now())

    # then the time stamps no reader shows are not read (no date-time parsed), every other field is
    assert product.get_deferred_fields() == {"created_at", "updated_at"}
    assert product.brand.get_deferred_fields() == {"created_at"}
    assert variant.stock.get_deferred_fields() == {"updated_at"}
    assert (product.title, product.brand.name, variant.sku, variant.stock.on_hand) == ("Lamp", lamp.brand.name,
                                                                                     "LAMP-1", 3)
    # and one read when asked, as Django's ``defer`` would
    with django_assert_num_queries(3):
        assert (product.created_at, product.brand.created_at, variant.stock.updated_at) == (
            django_built.created_at, django_built.brand.created_at, stock_built.updated_at)


def test_product_cards_are_represented_from_the_bodys_raw_data_as_the_converted_blocks_are(api_client, settings,
                                                                                           monkeypatch):
    # given a guide with every product block kind over two brands: cards (a chosen variant, a foreign variant, an
    # archived and a deleted product, a missing note, an own label), a grid, a comparison, a look with hotspots and
    # deals, read uncached with buy links signed in one second
    settings.KOLSHOP_API_CACHE_SECONDS = 0
    monkeypatch.setattr(django.core.signing, "time", SimpleNamespace(time=lambda instant=real_time.time(): instant))
    home, audio = make_brand("Home"), make_brand("Audio")
    lamp = make_product(brand=home, title="Lamp", variants=[("LAMP-1", "20.00", 3), ("LAMP-2", "25.00", 0)],
                        attributes={"Weight": "1 kg"})
    desk = make_product(brand=home, title="Desk", variants=[("DESK-1", "120.00", 1)])
    phones = make_product(brand=audio, title="Phones", variants=[("PH-1", "99.00", 40)])
    old = make_product(brand=audio, title="Old phones", variants=[("OLD-1", "50.00", 3)], status=ProductStatus.ARCHIVED)
    add_product_image(lamp, alt_text="A lamp")
    look = make_image("Look")
    deleted_product_id = Product.objects.order_by("-pk").values_list("pk", flat=True).first() + 100
    guide = make_guide(make_creator("pia"), body=[
        block("heading", "Picks"),
        product_card(lamp, variant=lamp.variants.get(sku="LAMP-2"), note="<p>Bright</p>"),
        product_card(desk), product_card(lamp, variant=phones.variants.get()), product_card(old),
        block("product_card", {"product": deleted_product_id, "variant": None, "note": ""}),
        block("product_card", {"product": phones.pk, "variant": None, "own_label": "Headphones"}),
        product_grid([(lamp, None, "one"), (phones, lamp.variants.get(sku="LAMP-1"), "two")]),
        comparison_table([lamp, phones, old], attributes=["Weight"]),
        shop_the_look(look, [(phones, None, "10", "20", "here"), (old, None, "50.5", "60", "")], caption="Desk"),
        deal(phones, deal_price="79.00", ends_at="2030-01-01T00:00:00Z", note="Hurry"),
    ])
    url = f"/api/v2/pages/{guide.pk}/"
    api_client.get(url)  # warm-up: renditions made once
    converted = []
    original = ProductCardBlock.bulk_to_python
    monkeypatch.setattr(ProductCardBlock, "bulk_to_python",
                        lambda self, values: converted.append(list(values)) or original(self, values))

    # when the API reads it from the raw data, then with every block converted first (the same snapshot)
    from_raw = api_client.get(url)
    assert converted == []  # the cards were never converted
    monkeypatch.setattr(ProductVariantStructBlock, "api_representation_of_raw", lambda self, raw, context=None: None)
    from_values = api_client.get(url)
    assert len(converted) == 1

    # then the whole body is the same bytes, and it shows what each case should
    assert from_raw.status_code == from_values.status_code == 200
    assert from_raw.content == from_values.content
    body = from_raw.json()["body"]
    assert [(item["type"], item["label"]) for item in body] == [
        ("heading", "Heading 1"), ("product_card", "Lamp"), ("product_card", "Desk"), ("product_card", "Lamp (2)"),
        ("product_card", "Old phones"), ("product_card", "Product card 5"), ("product_card", "Headphones"),
        ("product_grid", "Product grid or carousel: Lamp, Phones"),
        ("comparison_table", "Comparison table: Lamp vs Phones vs Old phones"), ("shop_the_look", "Desk (2)"),
        ("deal", "Deal: Phones")]
    cards = [item["value"] for item in body if item["type"] == "product_card"]
    assert [(card["product"] and card["product"]["title"], card["variant"] and card["variant"]["sku"],
             card["available"], card["unavailable_reason"], card["note"]) for card in cards] == [
        ("Lamp", "LAMP-2", False, "sold_out", "<p>Bright</p>"), ("Desk", "DESK-1", True, None, ""),
        # a variant of another product (refused when saved, but it may be stored) is not sold under this card:
        # the card offers the product's own cheapest variant in stock
        ("Lamp", "LAMP-1", True, None, ""), ("Old phones", "OLD-1", False, "archived", ""),
        (None, None, False, "deleted", ""), ("Phones", "PH-1", True, None, "")]
    assert cards[1]["buy_url"].startswith("/buy/DESK-1/") and "own_label" not in cards[5]


def _post_init_receiver(**kwargs):
    pass


def test_a_model_with_an_init_signal_receiver_is_built_through_django_with_the_time_stamps_deferred():
    # given a product model something listens to at init (an image field's dimensions, an audit package)
    lamp = make_product(title="Lamp", variants=[("LAMP-1", "20.00", 3)])
    django_built = Product.objects.get(pk=lamp.pk)
    signals.post_init.connect(_post_init_receiver, sender=Product)
    try:
        # when the snapshot reads it
        [product] = PRODUCTS_BY_ID.instances([lamp.pk])
    finally:
        signals.post_init.disconnect(_post_init_receiver, sender=Product)

    # then it is built through Django's from_db, the unshown time stamps deferred and read when asked
    assert product.title == "Lamp"
    assert product.get_deferred_fields() == {"created_at", "updated_at"}
    assert product.created_at == django_built.created_at
