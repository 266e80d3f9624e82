"""Load once, then compute: every product, variant and image a page's body shows, in fixed queries.

A page's StreamField is scanned for the ids its shoppable blocks reference (across every block
type and nesting level), then loaded in bulk: products with brand (1 query), variants with
stock (1), attributes (1), product images (1), images (1) and their API renditions (1). The
blocks' ``bulk_to_python`` read from that snapshot while it is active, so 10 or 100 product
blocks cost the same. Deal blocks add one query: their promotions with the units they have used
(their variants' products join the same product query).

``prefetch_stream`` is the one step that does it for a page's template context, before reading the body; the
API's body field loads the same snapshot without converting the blocks (``stream_catalog``) and represents product
blocks from the stream's raw data. It relies only on Wagtail's public contract, pinned
in tests/content/test_wagtail_stream_contract.py: a lazy stream converts its blocks through each
child block's ``bulk_to_python`` (once per block type) and keeps the converted values.
"""

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field

from django.conf import settings
from django.db.models import F
from django.utils import timezone
from wagtail import blocks
from wagtail.blocks.stream_block import StreamValue
from wagtail.images import get_image_model
from wagtail.images.blocks import ImageChooserBlock

from content.services.catalog_rows import SnapshotQuery
from shop.models import Brand, Product, ProductAttribute, ProductImage, Promotion, Stock, Variant
from shop.services.attached_rows import attach_prefetched
from shop.services.compiled_queries import ArrayIn
from shop.services.offers import with_availability
from shop.services.pricing import with_usage


@dataclass
class CatalogSnapshot:
    products: dict[int, Product] = field(default_factory=dict)
    variants: dict[int, Variant] = field(default_factory=dict)
    images: dict[int, object] = field(default_factory=dict)
    promotions: dict[int, Promotion] = field(default_factory=dict)
    requested_product_ids: set[int] = field(default_factory=set)
    requested_variant_ids: set[int] = field(default_factory=set)
    requested_image_ids: set[int] = field(default_factory=set)
    requested_promotion_ids: set[int] = field(default_factory=set)

    def covers(self, requested: set[int], values: Iterable) -> bool:
        return all(value is None or _as_id(value) in requested for value in values)


@dataclass
class StreamReferences:
    product_ids: set[int] = field(default_factory=set)
    variant_ids: set[int] = field(default_factory=set)
    image_ids: set[int] = field(default_factory=set)
    promotion_ids: set[int] = field(default_factory=set)


_active_snapshot: ContextVar[CatalogSnapshot | None] = ContextVar("kolshop_catalog_snapshot", default=None)


def active_snapshot() -> CatalogSnapshot | None:
    return _active_snapshot.get()


@contextmanager
def using_snapshot(snapshot: CatalogSnapshot) -> Iterator[CatalogSnapshot]:
    token = _active_snapshot.set(snapshot)
    try:
        yield snapshot
    finally:
        _active_snapshot.reset(token)


def api_rendition_specs() -> dict[str, str]:
    """Named image sizes the API serves, e.g. {"thumbnail": "fill-200x200"} (settings)."""
    return dict(settings.KOLSHOP_API_IMAGE_RENDITIONS)


def _as_id(value) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.isdigit():
        return int(value)
    return getattr(value, "pk", None)


def collect_references(block: blocks.Block, raw_value, references: StreamReferences) -> StreamReferences:
    """Walk raw (JSON) StreamField data with its block definitions and note every chosen id.

    A chooser block names the kind of id it holds in ``catalog_reference`` (``"product_ids"``,
    ``"variant_ids"``, ``"promotion_ids"``), so this walk needs no block classes of its own. Children
    that can hold no id (text, rich text, choices) are not walked (``_reference_plan``)."""
    if raw_value is None:
        return references
    kind, inner = _reference_plan(block)
    if kind == "id":
        _add(getattr(references, inner), raw_value)
    elif kind == "struct" and isinstance(raw_value, dict):
        for name, child_block in inner:
            collect_references(child_block, raw_value.get(name), references)
    elif kind == "list" and isinstance(raw_value, list):
        for item in raw_value:
            item_value = item["value"] if block._item_is_in_block_format(item) else item
            collect_references(inner, item_value, references)
    elif kind == "stream" and isinstance(raw_value, list):
        for item in raw_value:
            if isinstance(item, dict) and item.get("type") in inner:
                collect_references(inner[item["type"]], item.get("value"), references)
    return references


def _reference_plan(block: blocks.Block) -> tuple[str, object]:
    """How ``collect_references`` walks ``block``'s raw value, worked out once per block definition:
    ("id", references attribute), ("struct", [(name, child)]), ("list", child), ("stream", {type: child})
    or ("none", None) for a block that can hold no catalog or image id."""
    known = _PLANS.get(id(block))
    if known is not None and known[0] is block:
        return known[1]
    reference = getattr(block, "catalog_reference", None)
    if reference is not None:
        plan = ("id", reference)
    elif isinstance(block, ImageChooserBlock):
        plan = ("id", "image_ids")
    elif isinstance(block, blocks.StructBlock):
        plan = ("struct", [(name, child) for name, child in block.child_blocks.items()
                           if _reference_plan(child)[0] != "none"])
    elif isinstance(block, blocks.ListBlock):
        plan = ("list", block.child_block) if _reference_plan(block.child_block)[0] != "none" else ("none", None)
    elif isinstance(block, blocks.StreamBlock):
        plan = ("stream", {name: child for name, child in block.child_blocks.items()
                           if _reference_plan(child)[0] != "none"})
    else:
        plan = ("none", None)
    if plan[0] in ("struct", "stream") and not plan[1]:
        plan = ("none", None)
    _PLANS[id(block)] = (block, plan)  # the block is kept, so its id is never another block's
    return plan


_PLANS: dict[int, tuple[blocks.Block, tuple]] = {}


def _add(into: set[int], value) -> None:
    identifier = _as_id(value)
    if identifier is not None:
        into.add(identifier)


def _promotions_with_usage():
    return with_usage(Promotion.objects.select_related("variant"), now=timezone.now())


def product_ids_of_promotions(promotion_ids: set[int]) -> set[int]:
    if not promotion_ids:
        return set()
    return set(Promotion.objects.filter(pk__in=promotion_ids).values_list("variant__product_id", flat=True))


def load_promotions(values) -> list[Promotion | None]:
    """Deals for ``values`` (ids or None) in order, with their variants' products loaded as a snapshot does."""
    snapshot = load_catalog(StreamReferences(promotion_ids={_as_id(value) for value in values} - {None}))
    return [snapshot.promotions.get(_as_id(value)) if value is not None else None for value in values]


def load_catalog(references: StreamReferences) -> CatalogSnapshot:
    """Load everything ``references`` names; at most 7 queries whatever their number.

    Each relation is one plain query for all products, grouped here and attached to its product
    (``attach_rows``): Django's ``prefetch_related`` would clone a queryset per product and relation,
    which was most of an uncached page's time.
    """
    snapshot = CatalogSnapshot(
        requested_product_ids=set(references.product_ids),
        requested_variant_ids=set(references.variant_ids),
        requested_image_ids=set(references.image_ids),
        requested_promotion_ids=set(references.promotion_ids),
    )
    if references.promotion_ids:
        snapshot.promotions = _promotions_with_usage().in_bulk(sorted(references.promotion_ids))
        references = StreamReferences(
            product_ids=references.product_ids | {p.variant.product_id for p in snapshot.promotions.values()},
            variant_ids=references.variant_ids, image_ids=references.image_ids,
        )
    if references.product_ids:
        products = PRODUCTS_BY_ID.instances(sorted(references.product_ids))
        snapshot.products = {product.pk: product for product in products}
    product_images = _load_product_rows(snapshot)
    image_ids = references.image_ids | {product_image.image_id for product_image in product_images}
    if image_ids:
        snapshot.images = (
            get_image_model().objects.prefetch_renditions(*api_rendition_specs().values()).in_bulk(sorted(image_ids))
        )
    for product_image in product_images:
        if product_image.image_id in snapshot.images:
            product_image.image = snapshot.images[product_image.image_id]
    snapshot.requested_image_ids |= image_ids
    for promotion in snapshot.promotions.values():
        # The variant as the products loaded it: with stock, reservations and its product.
        promotion.variant = snapshot.variants.get(promotion.variant_id, promotion.variant)
    missing_variants = references.variant_ids - set(snapshot.variants)
    if missing_variants:
        # A variant chosen for another product (refused when saved, but may be stored): loaded plainly, so the
        # block's chooser finds it; resolve_offer never offers it under the block's product.
        snapshot.variants.update(with_availability(Variant.objects.select_related("product")).in_bulk(missing_variants))
    return snapshot


# Time stamps no reader of the snapshot shows (products', their brands' and stock rows'): left deferred.
UNSHOWN_TIME_STAMPS = frozenset({"created_at", "updated_at"})
PRODUCTS_BY_ID = SnapshotQuery(Product, lambda ids, now: Product.objects.filter(ArrayIn(F("pk"), ids)).order_by("pk"),
                               joined={"brand": Brand}, deferred=UNSHOWN_TIME_STAMPS)
# Each relation of the snapshot's products, in the products' own order; variants as ``with_availability``
# reads them (stock joined, active reservations summed at ``now``).
PRODUCT_ROWS = {
    "variants": SnapshotQuery(
        Variant, lambda ids, now: with_availability(
            Variant.objects.filter(ArrayIn(F("product_id"), ids)).order_by("sort_order", "pk"), now=now),
        joined={"stock": Stock}, annotations=("reserved_quantity",), uses_now=True, deferred=UNSHOWN_TIME_STAMPS),
    "attributes": SnapshotQuery(
        ProductAttribute, lambda ids, now: ProductAttribute.objects.filter(ArrayIn(F("product_id"), ids)).order_by("sort_order", "pk")),
    "images": SnapshotQuery(
        ProductImage, lambda ids, now: ProductImage.objects.filter(ArrayIn(F("product_id"), ids)).order_by("sort_order", "pk")),
}


def _load_product_rows(snapshot: CatalogSnapshot) -> list[ProductImage]:
    """Variants (with availability), attributes and images of the snapshot's products: one query each,
    attached to their products in the products' own order. Returns the product images."""
    products = snapshot.products
    if not products:
        return []
    ids = sorted(products)
    now = timezone.now()
    grouped = {relation: {product_id: [] for product_id in ids} for relation in PRODUCT_ROWS}
    for relation, query in PRODUCT_ROWS.items():
        # no query for row.product later; the row already holds its product's id, so caching the
        # product is all that assigning it would do
        cache_product = query.model._meta.get_field("product").set_cached_value
        rows_by_product = grouped[relation]
        for row in query.instances(ids, now=now):
            product = products[row.product_id]
            cache_product(row, product)
            rows_by_product[row.product_id].append(row)
    for product_id, product in products.items():
        for relation, query in PRODUCT_ROWS.items():
            attach_rows(product, relation, grouped[relation][product_id], model=query.model)
    for variants in grouped["variants"].values():
        for variant in variants:
            snapshot.variants[variant.pk] = variant
    return [image for images in grouped["images"].values() for image in images]


def attach_rows(instance, relation: str, rows: list, *, model) -> None:
    """Give ``instance.<relation>.all()`` these rows, as ``prefetch_related`` would, without a query.

    Like Django's own prefetch, the related manager answers from a result-filled queryset in the
    instance's prefetch cache; ``loaded`` reads the plain list. As with modelcluster's prefetch (its
    ``_apply_rel_filters`` adds no filter), a further ``.filter()`` on it is not limited to this product.
    """
    attach_prefetched(instance, relation, rows, queryset=_empty_queryset(model))
    instance.__dict__.setdefault("_kolshop_loaded", {})[relation] = rows


def _empty_queryset(model):
    """A fresh queryset of ``model`` sharing one unfiltered SQL query per model: building a query for
    each product and relation was a tenth of an uncached page. Shared safely: a queryset never changes
    its query in place (``.all()``, ``.filter()`` clone it first)."""
    if model not in _UNFILTERED_QUERIES:
        sample = model._default_manager.all()
        _UNFILTERED_QUERIES[model] = (type(sample), sample.query)
    queryset_class, query = _UNFILTERED_QUERIES[model]
    return queryset_class(model=model, query=query)  # its database is chosen when it is used, as before


_UNFILTERED_QUERIES: dict = {}


def prefetch_stream(stream) -> None:
    """Convert every block of ``stream`` now, each reading the catalog from one snapshot of the whole stream.

    Reading the stream inside ``using_snapshot`` makes each block type's ``bulk_to_python`` answer from
    the snapshot; the stream keeps the converted blocks, so rendering it afterwards costs no query.
    """
    prefetch_streams([stream])


def prefetch_streams(streams: Iterable) -> None:
    """``prefetch_stream`` for the bodies of many pages (a storefront's): one snapshot for all of them."""
    streams = _bodies_with_blocks(streams)
    snapshot = stream_catalog(*streams)
    if snapshot is None:
        return
    with using_snapshot(snapshot):
        for stream in streams:
            for _block in stream:
                pass


def stream_catalog(*streams) -> CatalogSnapshot | None:
    """The one catalog snapshot of everything these page bodies show, their blocks not converted: read a body
    inside ``using_snapshot(...)``, where a block represented from its raw value
    (``content.blocks.ProductVariantStructBlock``) reads the snapshot and each block type read as a value converts
    through ``bulk_to_python`` from it when first read. None when every body is empty."""
    streams = _bodies_with_blocks(streams)
    if not streams:
        return None
    references = StreamReferences()
    for stream in streams:
        collect_references(stream.stream_block, list(stream.raw_data), references)
    return load_catalog(references)


def _bodies_with_blocks(streams: Iterable) -> list[StreamValue]:
    return [stream for stream in streams if isinstance(stream, StreamValue) and len(stream)]
