"""The admin roles kolshop relies on: Creators, Brands and the editors who moderate.

Groups and their model permissions are (re)applied after every migrate, so a fresh database
and an upgraded one end up with the same roles. Page permissions are per creator (see
``onboarding.provision_creator``): a creator may add and edit pages only under their own
CreatorPage, and publishing goes through the moderation workflow.
"""

from django.contrib.auth.models import Group, Permission
from django.db import transaction
from wagtail.models import (
    Collection,
    GroupApprovalTask,
    GroupCollectionPermission,
    GroupPagePermission,
    Page,
    Workflow,
    WorkflowPage,
    WorkflowTask,
)

from shop.models import Brand, BrandMembership
from shop.services.brand_access import BRANDS_GROUP_NAME

CREATORS_GROUP_NAME = "Creators"
EDITORS_GROUP_NAME = "Editors"
MODERATORS_GROUP_NAME = "Moderators"
MODERATION_WORKFLOW_NAME = "Creator content approval"

# Images and documents are not here: Wagtail checks them per collection (GroupCollectionPermission),
# so each creator gets rights on their own collection (``onboarding.ensure_creator_collection``) and
# staff on the root collection.
# Group buys: a creator runs campaigns on products they may sell, a brand user on their brands'
# products; the policy (shop.permissions.GroupCampaignPermissionPolicy) scopes the rows.
_CAMPAIGN_PERMISSIONS = [("shop", f"{action}_groupcampaign") for action in ("add", "change", "delete", "view")]
_CREATOR_PERMISSIONS = [
    ("wagtailadmin", "access_admin"),
    *_CAMPAIGN_PERMISSIONS,
]
# What a creator may do in their own collection; staff may do the same, plus delete, from the root down.
CREATOR_COLLECTION_PERMISSIONS = [
    ("wagtailimages", "add_image"),
    ("wagtailimages", "choose_image"),
    ("wagtailimages", "change_image"),
    ("wagtaildocs", "add_document"),
    ("wagtaildocs", "choose_document"),
    ("wagtaildocs", "change_document"),
]
_STAFF_COLLECTION_PERMISSIONS = CREATOR_COLLECTION_PERMISSIONS + [
    ("wagtailimages", "delete_image"),
    ("wagtaildocs", "delete_document"),
]
_BRAND_PERMISSIONS = [
    ("wagtailadmin", "access_admin"),
    ("shop", "view_product"),
    ("shop", "view_brand"),
    ("shop", "view_stock"),
    *_CAMPAIGN_PERMISSIONS,
    # Distribution: a brand offers its variants to creators (shop.supply_admin).
    ("shop", "add_supplyoffer"),
    ("shop", "change_supplyoffer"),
    ("shop", "view_supplyoffer"),
    ("shop", "view_fulfilmentgroup"),
    # Brand-funded vouchers: a brand makes and sees its own brands' vouchers only (shop.voucher_forms).
    ("shop", "add_voucher"),
    ("shop", "change_voucher"),
    ("shop", "view_voucher"),
]

_EDITOR_MODELS = [
    ("shop", "brand"),
    ("shop", "brandmembership"),
    ("shop", "product"),
    ("shop", "variant"),
    ("shop", "stock"),
    ("shop", "order"),
    ("shop", "payment"),
    ("shop", "voucher"),
    ("shop", "promotion"),
    ("shop", "groupcampaign"),
    ("shop", "supplyoffer"),
    ("shop", "storefrontlisting"),
    ("creators", "creatorprofile"),
    ("creators", "commissionrule"),
    ("creators", "trackedlink"),
    ("readers", "rewardrate"),  # readers' reward rates: the default and per-brand overrides
]
# Money history is append-only: editors may read it (all creators' earnings too), never change it.
_EDITOR_VIEW_ONLY_MODELS = [
    ("creators", "ledgerentry"),
    ("creators", "payout"),
    ("creators", "payoutrun"),
    ("creators", "click"),
    ("creators", "orderlineattribution"),
    # Brand performance reports across every brand.
    ("creators", "dailyperformance"),
    ("shop", "fulfilmentgroup"),
    # Readers' shares, rewards and refused rewards (readers app; staff read them, nobody edits).
    ("readers", "sharelink"),
    ("readers", "rewardentry"),
    ("readers", "rewardrefusal"),
    ("readers", "shareblock"),
]
# What Wagtail's own migrations give its Editors and Moderators groups, repeated here so the roles
# are complete on any database (e.g. after a flush), not only one that ran Wagtail's data migrations.
_WAGTAIL_STAFF_PERMISSIONS = [
    ("wagtailadmin", "access_admin"),
    *[("wagtailimages", f"{action}_image") for action in ("add", "change", "delete", "choose")],
    *[("wagtaildocs", f"{action}_document") for action in ("add", "change", "delete", "choose")],
]
_EDITOR_PERMISSIONS = _WAGTAIL_STAFF_PERMISSIONS + [
    (app, f"{action}_{model}") for app, model in _EDITOR_MODELS for action in ("add", "change", "delete", "view")
] + [(app, f"view_{model}") for app, model in _EDITOR_VIEW_ONLY_MODELS] + [
    ("readers", "block_sharelink"),  # staff block a reader's share link (with a reason), never edit it
    # Brand transfers to retry (shop.supply_admin): staff see failed transfers and reversals, and retry one.
    ("shop", "view_supplytransfer"),
    ("shop", "change_supplytransfer"),
]


def _permissions(pairs: list[tuple[str, str]]) -> list[Permission]:
    wanted = {f"{app}.{codename}" for app, codename in pairs}
    found = [
        permission
        for permission in Permission.objects.filter(codename__in=[c for _, c in pairs]).select_related("content_type")
        if f"{permission.content_type.app_label}.{permission.codename}" in wanted
    ]
    return found


@transaction.atomic
def ensure_role_groups() -> dict[str, Group]:
    """Create or repair the Creators, Brands, Editors and Moderators groups and the workflow."""
    creators, _ = Group.objects.get_or_create(name=CREATORS_GROUP_NAME)
    creators.permissions.add(*_permissions(_CREATOR_PERMISSIONS))
    brands, _ = Group.objects.get_or_create(name=BRANDS_GROUP_NAME)
    brands.permissions.add(*_permissions(_BRAND_PERMISSIONS))
    editors, _ = Group.objects.get_or_create(name=EDITORS_GROUP_NAME)
    editors.permissions.add(*_permissions(_EDITOR_PERMISSIONS))
    moderators, _ = Group.objects.get_or_create(name=MODERATORS_GROUP_NAME)
    moderators.permissions.add(*_permissions(_WAGTAIL_STAFF_PERMISSIONS))
    _grant_editor_page_permissions([editors, moderators])
    _grant_staff_collection_permissions([editors, moderators])
    ensure_moderation_workflow(approver_groups=[editors, moderators])
    return {"creators": creators, "brands": brands, "editors": editors, "moderators": moderators}


def _grant_editor_page_permissions(groups: list[Group]) -> None:
    """Editors and moderators may add, edit and publish anywhere: approving a task publishes."""
    root = Page.get_first_root_node()
    if root is None:
        return
    permissions = Permission.objects.filter(
        content_type__app_label="wagtailcore", codename__in=["add_page", "change_page", "publish_page"]
    )
    for group in groups:
        for permission in permissions:
            GroupPagePermission.objects.get_or_create(group=group, page=root, permission=permission)


def _grant_staff_collection_permissions(groups: list[Group]) -> None:
    """Staff see, choose and edit every image and document: rights on the root collection reach all."""
    root = Collection.get_first_root_node()
    if root is None:
        return
    grant_collection_permissions(groups, collection=root, pairs=_STAFF_COLLECTION_PERMISSIONS)


def grant_collection_permissions(groups: list[Group], *, collection: Collection, pairs: list[tuple[str, str]]) -> None:
    """Adds the image/document permissions ``pairs`` on ``collection`` (and its descendants) to ``groups``."""
    permissions = _permissions(pairs)
    for group in groups:
        for permission in permissions:
            GroupCollectionPermission.objects.get_or_create(group=group, collection=collection, permission=permission)


def ensure_moderation_workflow(*, approver_groups: list[Group]) -> Workflow:
    """One approval step by editors or moderators, applied to the whole page tree."""
    workflow, _ = Workflow.objects.get_or_create(name=MODERATION_WORKFLOW_NAME, defaults={"active": True})
    if not workflow.active:
        workflow.active = True
        workflow.save(update_fields=["active"])
    task = GroupApprovalTask.objects.filter(name="Editor approval").first()
    if task is None:
        task = GroupApprovalTask.objects.create(name="Editor approval")
    task.groups.add(*approver_groups)
    # workflow_tasks is a ParentalKey relation: create rows directly so they are saved now.
    if not WorkflowTask.objects.filter(workflow=workflow, task=task).exists():
        WorkflowTask.objects.create(workflow=workflow, task=task, sort_order=0)
    root = Page.get_first_root_node()
    if root is not None:
        WorkflowPage.objects.update_or_create(page=root, defaults={"workflow": workflow})
    return workflow


@transaction.atomic
def add_brand_member(user, *, brand: Brand) -> BrandMembership:
    """Lets ``user`` act for ``brand`` in the admin: the Brands group gives the admin rights, the
    membership scopes them to the brand (``shop.services.brand_access``). Idempotent."""
    groups = ensure_role_groups()
    user.groups.add(groups["brands"])
    membership, _ = BrandMembership.objects.get_or_create(brand=brand, user=user)
    return membership
