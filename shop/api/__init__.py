"""The shop's routers for the commerce API (registered in settings/api.py)."""

from shop.api.carts import router as carts_router
from shop.api.orders import router as orders_router

__all__ = ["carts_router", "orders_router"]
