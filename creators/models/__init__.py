from creators.models.commissions import CommissionRule, CommissionScope
from creators.models.ledger import (
    AttributionSourceKind,
    EntryKind,
    LedgerEntry,
    NoCommissionReason,
    OrderLineAttribution,
)
from creators.models.links import Click, LinkTarget, TrackedLink, UserAgentClass
from creators.models.payouts import Payout, PayoutRun, PayoutStatus
from creators.models.profiles import (
    CreatorIndexPage,
    CreatorPage,
    CreatorProfile,
    CreatorSocialLink,
    SocialPlatform,
    handle_validator,
)

__all__ = [
    "AttributionSourceKind",
    "Click",
    "CommissionRule",
    "CommissionScope",
    "CreatorIndexPage",
    "CreatorPage",
    "CreatorProfile",
    "CreatorSocialLink",
    "EntryKind",
    "LedgerEntry",
    "LinkTarget",
    "NoCommissionReason",
    "OrderLineAttribution",
    "Payout",
    "PayoutRun",
    "PayoutStatus",
    "SocialPlatform",
    "TrackedLink",
    "UserAgentClass",
    "handle_validator",
]
