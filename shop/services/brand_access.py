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


def limit_to_user_brands(queryset: QuerySet, user: AbstractBaseUser, *, brand_path: str) -> QuerySet:
    """``queryset`` as ``user`` may see it: rows whose ``brand_path`` (e.g. "brand_id",
    "variant__product__brand_id") is one of their brands, or every row for unlimited users."""
    brand_ids = brand_ids_for_user(user)
    return queryset if brand_ids is None else queryset.filter(**{f"{brand_path}__in": brand_ids})


def visible_brands(user: AbstractBaseUser) -> QuerySet[Brand]:
    return limit_to_user_brands(Brand.objects.all(), user, brand_path="pk")


def visible_products(user: AbstractBaseUser) -> QuerySet[Product]:
    return limit_to_user_brands(Product.objects.all(), user, brand_path="brand_id")


def visible_stock(user: AbstractBaseUser) -> QuerySet[Stock]:
    return limit_to_user_brands(Stock.objects.all(), user, brand_path="variant__product__brand_id")


def visible_variants(user: AbstractBaseUser) -> QuerySet[Variant]:
    return limit_to_user_brands(Variant.objects.all(), user, brand_path="product__brand_id")
