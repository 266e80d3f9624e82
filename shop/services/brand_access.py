"""Which catalog rows a given admin user may see. Brand users see only their own brands."""

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import QuerySet

from shop.models import Brand, Product, Stock, Variant

BRANDS_GROUP_NAME = "Brands"


def brand_ids_for_user(user: AbstractBaseUser) -> set[int] | None:
    """The brands a brand user acts for, or ``None`` when the user is not limited to brands.

    A user is limited when they belong to the Brands group or hold any brand membership;
    superusers, editors and creators are not (creators pick any brand's product).
    """
    if not user.is_authenticated:
        return set()
    if user.is_superuser:
        return None
    if not hasattr(user, "_kolshop_brand_scope"):
        brand_ids = set(user.brand_memberships.values_list("brand_id", flat=True))
        limited = bool(brand_ids) or user.groups.filter(name=BRANDS_GROUP_NAME).exists()
        user._kolshop_brand_scope = brand_ids if limited else None
    return user._kolshop_brand_scope


def is_brand_user(user: AbstractBaseUser) -> bool:
    """True for users limited to their brands (they see only those brands' rows anywhere)."""
    return user.is_authenticated and brand_ids_for_user(user) is not None


def visible_brands(user: AbstractBaseUser) -> QuerySet[Brand]:
    brand_ids = brand_ids_for_user(user)
    queryset = Brand.objects.all()
    return queryset if brand_ids is None else queryset.filter(pk__in=brand_ids)


def visible_products(user: AbstractBaseUser) -> QuerySet[Product]:
    brand_ids = brand_ids_for_user(user)
    queryset = Product.objects.all()
    return queryset if brand_ids is None else queryset.filter(brand_id__in=brand_ids)


def visible_stock(user: AbstractBaseUser) -> QuerySet[Stock]:
    brand_ids = brand_ids_for_user(user)
    queryset = Stock.objects.all()
    return queryset if brand_ids is None else queryset.filter(variant__product__brand_id__in=brand_ids)


def visible_variants(user: AbstractBaseUser) -> QuerySet[Variant]:
    brand_ids = brand_ids_for_user(user)
    queryset = Variant.objects.all()
    return queryset if brand_ids is None else queryset.filter(product__brand_id__in=brand_ids)
