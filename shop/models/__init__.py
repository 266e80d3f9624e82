from shop.models.catalog import (
    Brand,
    BrandMembership,
    Product,
    ProductAttribute,
    ProductImage,
    ProductStatus,
    Variant,
)
from shop.models.inventory import Stock, StockLevel

__all__ = [
    "Brand",
    "BrandMembership",
    "Product",
    "ProductAttribute",
    "ProductImage",
    "ProductStatus",
    "Stock",
    "StockLevel",
    "Variant",
]
