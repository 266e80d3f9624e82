"""Five brands with ten products each; variants, prices, stock, attributes and a generated image."""

import io
from decimal import Decimal
from hashlib import sha256

from django.core.files.images import ImageFile
from PIL import Image as PILImage
from PIL import ImageDraw
from wagtail.images.models import Image

from shop.models import Brand, Product, ProductAttribute, ProductImage, Stock, Variant

BRANDS = {
    "northwind-audio": ("Northwind Audio", ["Headphones", "Earbuds", "Speaker", "DAC", "Turntable"]),
    "lumen-skincare": ("Lumen Skincare", ["Serum", "Cleanser", "Moisturiser", "Sunscreen", "Toner"]),
    "trailhead-outdoor": ("Trailhead Outdoor", ["Tent", "Backpack", "Jacket", "Stove", "Headlamp"]),
    "kettle-and-co": ("Kettle & Co", ["Kettle", "Grinder", "Pour-over", "Scale", "Mug"]),
    "pixel-threads": ("Pixel Threads", ["Tee", "Hoodie", "Cap", "Socks", "Tote"]),
}
EDITIONS = ["One", "Pro"]
SIZES = ["S", "M", "L"]
ATTRIBUTE_NAMES = ["Weight", "Warranty", "Made in"]
COUNTRIES = ["Portugal", "Japan", "Canada", "Vietnam", "Germany"]


def _number(seed: str, modulo: int) -> int:
    return int(sha256(seed.encode()).hexdigest()[:8], 16) % modulo


def _demo_image(title: str) -> Image:
    existing = Image.objects.filter(title=title).first()
    if existing:
        return existing
    hue = _number(title, 360)
    picture = PILImage.new("RGB", (480, 480), f"hsl({hue}, 55%, 70%)")
    ImageDraw.Draw(picture).text((24, 220), title[:40], fill="black")
    buffer = io.BytesIO()
    picture.save(buffer, format="PNG")
    return Image.objects.create(title=title, file=ImageFile(buffer, name=f"demo-{_number(title, 10**8)}.png"))


def _load_product(brand: Brand, kind: str, edition: str, index: int) -> Product:
    title = f"{brand.name} {kind} {edition}"
    slug = f"{brand.slug}-{kind.lower().replace(' ', '-')}-{edition.lower()}"
    product, created = Product.objects.get_or_create(
        slug=slug, defaults={"brand": brand, "title": title, "description": f"<p>The {kind.lower()} our creators keep recommending.</p>"}
    )
    if not created:
        return product
    base_price = Decimal(19 + _number(slug, 280)) + Decimal("0.99")
    sized = brand.slug == "pixel-threads"
    options = SIZES if sized else ["Standard"]
    for position, option in enumerate(options):
        compare_at = base_price + Decimal("20.00") if _number(slug + option, 3) == 0 else None
        variant = Variant.objects.create(
            product=product,
            sku=f"{brand.slug[:4].upper()}-{index:03d}-{option[:3].upper()}",
            name=option if sized else "",
            option_values={"size": option} if sized else {},
            price=base_price,
            compare_at_price=compare_at,
            currency="USD",
            sort_order=position,
        )
        Stock.objects.create(variant=variant, on_hand=_number(variant.sku, 40))
    for position, name in enumerate(ATTRIBUTE_NAMES):
        value = {
            "Weight": f"{100 + _number(slug + name, 900)} g",
            "Warranty": f"{1 + _number(slug + name, 3)} years",
            "Made in": COUNTRIES[_number(slug + name, len(COUNTRIES))],
        }[name]
        ProductAttribute.objects.create(product=product, name=name, value=value, sort_order=position)
    ProductImage.objects.create(product=product, image=_demo_image(title), alt_text=title, sort_order=0)
    return product


def load_catalog() -> dict[str, Product]:
    products: dict[str, Product] = {}
    index = 0
    for slug, (name, kinds) in BRANDS.items():
        brand, _ = Brand.objects.get_or_create(slug=slug, defaults={"name": name, "website": f"https://{slug}.example"})
        for kind in kinds:
            for edition in EDITIONS:
                index += 1
                product = _load_product(brand, kind, edition, index)
                products[product.slug] = product
    return products
