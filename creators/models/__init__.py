from creators.models.commissions import CommissionRule, CommissionScope
from creators.models.ledger import (
    AttributionSourceKind,
    EntryKind,
    LedgerEntry,
    NoCommissionReason,
    OrderLineAttribution,
)
from creators.models.links import Click, ClickAlias, ClickLimitUse, LinkKind, LinkTarget, TrackedLink, UserAgentClass
from creators.models.payouts import Payout, PayoutRun, PayoutStatus
from creators.models.reports import (
    DailyPerformance,
    DailySales,
    LinkDayClicks,
    OrderLineFact,
    PageView,
    ReportDirtyDay,
    RollupWatermark,
)
from creators.models.profiles import (
    CreatorIndexPage,
    CreatorPage,
    CreatorProfile,
    CreatorSocialLink,
    SocialPlatform,
    handle_validator,
)

__all__ = [
    "DailySales",
    "AttributionSourceKind",
    "Click",
    "ClickAlias",
    "ClickLimitUse",
    "CommissionRule",
    "CommissionScope",
    "CreatorIndexPage",
    "CreatorPage",
    "CreatorProfile",
    "CreatorSocialLink",
    "DailyPerformance",
    "EntryKind",
    "LedgerEntry",
    "LinkDayClicks",
    "LinkKind",
    "LinkTarget",
    "NoCommissionReason",
    "OrderLineAttribution",
    "OrderLineFact",
    "PageView",
    "Payout",
    "PayoutRun",
    "PayoutStatus",
    "ReportDirtyDay",
    "RollupWatermark",
    "SocialPlatform",
    "TrackedLink",
    "UserAgentClass",
    "handle_validator",
]
