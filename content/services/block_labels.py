"""The one function that decides a block's human label, and the directory that labels a page's blocks.

A label is what a creator recognises: the creator's own label when they gave one (``own_label``, on
every shoppable block), else their own words in the block (a grid's or table's title, a look's caption,
a hotspot's label), otherwise the product it sells (a card, a deal),
otherwise the block's kind and position ("Image 2"). Reports, earnings, tracked-link forms and the
content API all name a block with ``block_label``; ``creators`` reaches it through
``creators.services.block_labels`` (registered in ``ContentConfig.ready``).
"""

from wagtail.blocks.list_block import ListValue
from wagtail.blocks.struct_block import StructValue
from wagtail.rich_text import RichText

from content.services.catalog import StreamReferences
from shop.models import Product, Promotion

MAX_LABEL_LENGTH = 80


def _items(raw_list) -> list:
    """ListBlock values in either storage format (plain values or {"type": "item", "value": ...})."""
    return [item.get("value") if isinstance(item, dict) and "value" in item and "type" in item else item
            for item in raw_list or []]


def _titles(ids, titles: dict[int, str]) -> list[str]:
    return [titles[int(pk)] for pk in ids if str(pk).isdigit() and int(pk) in titles]


def _shorten(label: str) -> str:
    label = " ".join(label.split())
    return label if len(label) <= MAX_LABEL_LENGTH else label[: MAX_LABEL_LENGTH - 1] + "…"


def block_label(block_type: str, raw_value, *, type_label: str, position: int, product_titles: dict[int, str],
                deal_titles: dict[int, str]) -> str:
    """A block's label from its raw (JSON) value. ``position`` counts blocks of this type on the page, from 1."""
    value = raw_value if isinstance(raw_value, dict) else {}
    own_words = value.get("own_label") or value.get("title") or value.get("caption") or ""
    if isinstance(own_words, str) and own_words.strip():
        return _shorten(own_words)
    if block_type in ("product_card", "product_grid", "comparison_table", "shop_the_look"):
        if block_type == "product_card":
            products = [value.get("product")]
        elif block_type == "product_grid":
            products = [item.get("product") for item in _items(value.get("items")) if isinstance(item, dict)]
        elif block_type == "comparison_table":
            products = _items(value.get("products"))
        else:
            hotspots = [item for item in _items(value.get("hotspots")) if isinstance(item, dict)]
            own = [hotspot["label"] for hotspot in hotspots if str(hotspot.get("label") or "").strip()]
            products = [] if own else [hotspot.get("product") for hotspot in hotspots]
            if own:
                return _shorten(f"{type_label}: {', '.join(own)}")
        titles = _titles(products, product_titles)
        if titles:
            joiner = " vs " if block_type == "comparison_table" else ", "
            return _shorten(titles[0] if block_type == "product_card" else f"{type_label}: {joiner.join(titles)}")
    if block_type == "deal" and str(value.get("deal") or "").isdigit() and int(value["deal"]) in deal_titles:
        return _shorten(f"{type_label}: {deal_titles[int(value['deal'])]}")
    return f"{type_label} {position}"


def stream_block_labels(stream_block, raw_items, *, product_titles: dict[int, str],
                        deal_titles: dict[int, str]) -> dict[str, str]:
    """{block id: label} for one page's stream; two blocks never share a label (a repeat gets " (2)")."""
    labels: dict[str, str] = {}
    positions: dict[str, int] = {}
    seen: dict[str, int] = {}
    type_labels: dict[str, str] = {}  # each kind's (lazily translated) label, translated once
    for item in raw_items:
        block_type, block_id = item.get("type"), item.get("id")
        child_block = stream_block.child_blocks.get(block_type)
        if not block_id or child_block is None:
            continue
        positions[block_type] = positions.get(block_type, 0) + 1
        if block_type not in type_labels:
            type_labels[block_type] = str(child_block.label)
        label = block_label(block_type, item.get("value"), type_label=type_labels[block_type],
                            position=positions[block_type], product_titles=product_titles, deal_titles=deal_titles)
        seen[label] = seen.get(label, 0) + 1
        labels[block_id] = label if seen[label] == 1 else f"{label} ({seen[label]})"
    return labels


def _titles_for(references: StreamReferences) -> tuple[dict[int, str], dict[int, str]]:
    deals = dict(Promotion.objects.filter(pk__in=references.promotion_ids)
                 .values_list("pk", "variant__product__title")) if references.promotion_ids else {}
    products = dict(Product.objects.filter(pk__in=references.product_ids).values_list("pk", "title")) \
        if references.product_ids else {}
    return products, deals


_LEAVES = frozenset({str, int, float, bool, RichText})


def _titles_in(value, products: dict[int, str], deals: dict[int, Promotion]) -> None:
    """Collect the products and deals inside an already converted block value (no query)."""
    if value is None or type(value) in _LEAVES:  # most of a block's fields: nothing inside, no isinstance walk
        return
    if isinstance(value, Product):
        products[value.pk] = value.title
    elif isinstance(value, Promotion):
        deals[value.pk] = value
    elif isinstance(value, (StructValue, dict)):
        for item in value.values():
            _titles_in(item, products, deals)
    elif isinstance(value, (list, tuple, ListValue)):
        for item in value:
            _titles_in(item, products, deals)


def _deal_title(deal: Promotion, products: dict[int, str]) -> str:
    product = deal.variant._state.fields_cache.get("product")
    return product.title if product is not None else products.get(deal.variant.product_id, "")


def stream_value_labels(value) -> dict[str, str]:
    """Labels of a page body being rendered, from its converted blocks (no query once they are loaded,
    as ``content.services.catalog.prefetch_stream`` leaves them)."""
    titles = BlockTitles()
    for child in value:
        titles.add_value(child.value)
    return titles.labels(value)


class BlockTitles:
    """The products' and deals' titles a page body's labels name, gathered block by block: from a converted
    block value, or from the product a block represented from its raw value resolved to (``add_product``)."""

    def __init__(self) -> None:
        self.products: dict[int, str] = {}
        self.deals: dict[int, Promotion] = {}

    def add_value(self, value) -> None:
        _titles_in(value, self.products, self.deals)

    def add_product(self, product: Product | None) -> None:
        if product is not None:
            self.products[product.pk] = product.title

    def labels(self, value) -> dict[str, str]:
        """{block id: label} for the stream ``value`` whose blocks were all added."""
        raw_items = [item for item in value.raw_data if item is not None]
        deal_titles = {pk: _deal_title(deal, self.products) for pk, deal in self.deals.items()}
        return stream_block_labels(value.stream_block, raw_items, product_titles=self.products,
                                   deal_titles=deal_titles)
