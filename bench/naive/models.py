"""A naive shoppable guide, as a Wagtail newcomer would build it: snippet products chosen with
``SnippetChooserBlock``, each block reading its product and brand when the API renders it."""

from django.db import models
from wagtail import blocks
from wagtail.api import APIField
from wagtail.fields import StreamField
from wagtail.models import Page
from wagtail.snippets.blocks import SnippetChooserBlock


class NaiveBrand(models.Model):
    name = models.CharField(max_length=100)


class NaiveProduct(models.Model):
    brand = models.ForeignKey(NaiveBrand, on_delete=models.CASCADE)
    title = models.CharField(max_length=200)
    sku = models.CharField(max_length=64)
    price = models.DecimalField(max_digits=12, decimal_places=2)
    currency = models.CharField(max_length=3, default="USD")
    on_hand = models.IntegerField(default=0)

    def __str__(self) -> str:
        return self.title


class NaiveProductBlock(blocks.StructBlock):
    product = SnippetChooserBlock(NaiveProduct)
    note = blocks.CharBlock(required=False)

    def get_api_representation(self, value, context=None):
        product = value["product"]
        return {
            "product": {"id": product.pk, "title": product.title, "brand": product.brand.name},
            "variant": {"sku": product.sku, "price": str(product.price), "currency": product.currency,
                        "in_stock": product.on_hand > 0},
            "buy_url": f"/buy/{product.sku}/",
            "note": value["note"],
        }


class NaiveGuidePage(Page):
    body = StreamField([("product_card", NaiveProductBlock())], blank=True, use_json_field=True)

    api_fields = [APIField("body")]
