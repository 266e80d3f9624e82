from django.urls import path

from shop.views import groupbuy, storefront
from shop.views.webhooks import stripe_webhook

app_name = "shop"

urlpatterns = [
    path("webhooks/stripe/", stripe_webhook, name="stripe-webhook"),
    path("buy/<str:sku>/", storefront.buy, name="buy"),
    path("cart/", storefront.cart, name="cart"),
    path("checkout/", storefront.checkout, name="checkout"),
    path("orders/open/<str:token>/", storefront.order_link, name="order-link"),
    path("orders/<str:number>/", storefront.order, name="order"),
    path("orders/<str:number>/pay/", storefront.pay, name="pay"),
    path("orders/<str:number>/pickup-qr.png", storefront.pickup_qr, name="pickup-qr"),
    path("group/campaigns/<int:campaign_id>/open/", groupbuy.open_, name="group-open"),
    path("group/<str:code>/", groupbuy.team, name="group-team"),
    path("group/<str:code>/join/", groupbuy.join, name="group-join"),
    path("group/<str:code>/qr.png", groupbuy.team_qr, name="group-team-qr"),
]
