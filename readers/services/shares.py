"""A signed-in reader shares a guide (or a product from a guide): a ``/r/<code>`` link of its own kind.

The share is a ``creators`` tracked link (``LinkKind.READER_SHARE``, ``sharer_id`` = the reader), so
following it goes through the one ``/r/`` view: the same cached route, click counting, bot filter and
visitor hash (``creators.services.links.record_click``), and the same signed attribution to the
guide's creator, whose commission a share never changes. One link per reader and target: sharing again
gives the same code.
"""

from django.db.models import QuerySet
from wagtail.models import Page

from creators.models import LinkKind, LinkTarget, TrackedLink
from creators.services.links import create_tracked_link, with_link_figures
from creators.services.storefronts import creator_above
from readers.models import Reader
from shop.errors import InvalidInput, NotFound
from shop.models import Product, ProductStatus


def reader_shares(reader: Reader) -> QuerySet[TrackedLink]:
    """The reader's share links with their counted clicks and orders (``with_link_figures``)."""
    return with_link_figures(
        TrackedLink.objects.filter(kind=LinkKind.READER_SHARE, sharer_id=reader.pk)
        .select_related("page", "product").order_by("-created_at", "-pk"))


def _shared_page(page_id: int) -> Page:
    page = Page.objects.live().public().filter(pk=page_id).specific().first()
    if page is None:
        raise NotFound("No such guide.", code="page_not_found", field="page_id")
    return page


def share(reader: Reader, *, page_id: int, product_id: int | None = None) -> TrackedLink:
    """The reader's link to a live guide, or to a product on it (bought through the guide's buy link)."""
    page = _shared_page(page_id)
    creator = creator_above(page)
    if creator is None:
        raise InvalidInput("Only creators' guides can be shared.", code="not_shareable", field="page_id")
    product = None
    if product_id is not None:
        product = Product.objects.filter(pk=product_id, status=ProductStatus.ACTIVE).first()
        if product is None:
            raise NotFound("No such product.", code="product_not_found", field="product_id")
    target_kind = LinkTarget.PRODUCT if product else LinkTarget.PAGE
    existing = TrackedLink.objects.filter(kind=LinkKind.READER_SHARE, sharer_id=reader.pk, target_kind=target_kind,
                                          page=page, product=product).first()
    if existing is not None:
        return existing
    return create_tracked_link(creator, target_kind=target_kind, product=product, page=page,
                               label=f"Shared by reader {reader.pk}", sharer_id=reader.pk)
