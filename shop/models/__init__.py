from shop.models.cart import AddToCartEvent, Cart, CartLine
from shop.models.catalog import (
    Brand,
    BrandMembership,
    Product,
    ProductAttribute,
    ProductImage,
    ProductStatus,
    Variant,
)
from shop.models.groupbuy import (
    GroupCampaign,
    GroupMember,
    GroupMemberStatus,
    GroupTeam,
    GroupTeamStatus,
)
from shop.models.inventory import Stock, StockLevel
from shop.models.orders import (
    FulfilmentMethod,
    Order,
    OrderEvent,
    OrderEventType,
    OrderLine,
    OrderStatus,
    PAID_ORDER_STATUSES,
)
from shop.models.notifications import OrderNotification, OrderNotificationKind
from shop.models.payments import (
    CLOSED_DISPUTE_STATUSES,
    Dispute,
    Payment,
    PaymentStatus,
    ProcessedWebhookEvent,
    Refund,
    RefundLine,
    RefundStatus,
)
from shop.models.promotions import Promotion, PromotionKind
from shop.models.reservations import StockReservation
from shop.models.vouchers import Voucher, VoucherKind

__all__ = [
    "AddToCartEvent",
    "Brand",
    "BrandMembership",
    "Cart",
    "CartLine",
    "FulfilmentMethod",
    "GroupCampaign",
    "GroupMember",
    "GroupMemberStatus",
    "GroupTeam",
    "GroupTeamStatus",
    "Order",
    "OrderEvent",
    "OrderEventType",
    "OrderLine",
    "OrderNotification",
    "OrderNotificationKind",
    "OrderStatus",
    "PAID_ORDER_STATUSES",
    "CLOSED_DISPUTE_STATUSES",
    "Dispute",
    "Payment",
    "PaymentStatus",
    "ProcessedWebhookEvent",
    "Product",
    "ProductAttribute",
    "ProductImage",
    "ProductStatus",
    "Promotion",
    "PromotionKind",
    "Refund",
    "RefundLine",
    "RefundStatus",
    "Stock",
    "StockLevel",
    "StockReservation",
    "Variant",
    "Voucher",
    "VoucherKind",
]
from shop.models.supply import (  # noqa: E402
    FulfilmentGroup,
    ListingStatus,
    PayeeKind,
    StorefrontListing,
    SupplyLineSplit,
    SupplyMode,
    SupplyOffer,
    SupplyReversalStatus,
    SupplyTransfer,
    SupplyTransferReversal,
    SupplyTransferStatus,
)

__all__ += ["FulfilmentGroup", "ListingStatus", "PayeeKind", "StorefrontListing", "SupplyMode", "SupplyOffer",
            "SupplyTransfer", "SupplyTransferStatus", "SupplyReversalStatus", "SupplyTransferReversal", "SupplyLineSplit"]
