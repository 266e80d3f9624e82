import pytest
from django.contrib.auth.models import Group
from wagtail.models import Collection, GroupApprovalTask, GroupCollectionPermission, GroupPagePermission, Page, WorkflowPage

from creators.services.onboarding import provision_creator
from creators.services.roles import MODERATION_WORKFLOW_NAME, ensure_role_groups
from tests.factories import make_user

pytestmark = pytest.mark.django_db


def test_roles_exist_after_migrate_with_a_moderation_workflow_on_the_whole_tree():
    workflow_page = WorkflowPage.objects.get(page=Page.get_first_root_node())
    task = GroupApprovalTask.objects.get(name="Editor approval")

    assert workflow_page.workflow.name == MODERATION_WORKFLOW_NAME
    assert [wt.task_id for wt in workflow_page.workflow.workflow_tasks.all()] == [task.pk]
    assert set(task.groups.values_list("name", flat=True)) == {"Editors", "Moderators"}
    assert set(Group.objects.get(name="Brands").permissions.values_list("codename", flat=True)) == {
        "access_admin", "view_product", "view_brand", "view_stock",
        "add_groupcampaign", "change_groupcampaign", "delete_groupcampaign", "view_groupcampaign",
        "add_supplyoffer", "change_supplyoffer", "view_supplyoffer", "view_fulfilmentgroup",
        "add_voucher", "change_voucher", "view_voucher",  # brand-funded vouchers, their own brands' only
    }
    # Creators run group buys too (the policy scopes them to the campaigns they made).
    assert {"add_groupcampaign", "change_groupcampaign", "delete_groupcampaign", "view_groupcampaign"} <= set(
        Group.objects.get(name="Creators").permissions.values_list("codename", flat=True))


def test_ensure_role_groups_is_idempotent():
    before = (Group.objects.count(), GroupPagePermission.objects.count())
    ensure_role_groups()
    ensure_role_groups()
    assert (Group.objects.count(), GroupPagePermission.objects.count()) == before


def test_provisioning_a_creator_twice_gives_one_profile_storefront_and_permission_set(site_tree):
    _, index = site_tree
    user = make_user("zoe")

    first = provision_creator(user, display_name="Zoe", handle="zoe", index_page=index)
    second = provision_creator(user, display_name="Zoe", handle="zoe", index_page=index)

    assert first.pk == second.pk
    assert first.storefront.get_parent().pk == index.pk
    assert first.storefront.live
    assert set(GroupPagePermission.objects.filter(group__name="Creator: zoe").values_list("permission__codename", flat=True)) == {
        "add_page", "change_page",
    }
    assert set(user.groups.values_list("name", flat=True)) == {"Creators", "Creator: zoe"}


def test_a_database_built_by_migrate_alone_gives_each_role_its_video_image_and_document_rights():
    """The test database is built by one ``migrate``, as ``make demo`` does; no test grants anything."""

    def codenames(group_name: str, app_label: str) -> set[str]:
        group = Group.objects.get(name=group_name)
        return set(group.permissions.filter(content_type__app_label=app_label).values_list("codename", flat=True))

    def collection_rights(group_name: str) -> set[tuple[str, str]]:
        return set(
            GroupCollectionPermission.objects.filter(group__name=group_name).values_list(
                "collection__name", "permission__codename"
            )
        )

    staff_rights = {
        ("Root", f"{action}_{model}")
        for model in ("image", "document")
        for action in ("add", "change", "choose", "delete")
    }
    assert codenames("Creators", "kolshop_media") == {"add_video", "change_video", "delete_video", "view_video"}
    assert codenames("Editors", "kolshop_media") == {
        "add_video", "change_video", "delete_video", "view_video", "manage_any_video",
    }
    assert collection_rights("Editors") == staff_rights
    assert collection_rights("Moderators") == staff_rights
    assert collection_rights("Creators") == set()


def test_provisioning_gives_the_creator_their_own_collection_once(site_tree):
    _, index = site_tree
    user = make_user("zoe")

    provision_creator(user, display_name="Zoe", handle="zoe", index_page=index)
    provision_creator(user, display_name="Zoe", handle="zoe", index_page=index)

    collection = Collection.objects.get(name="Creator: zoe")
    assert collection.get_parent() == Collection.get_first_root_node()
    assert set(
        GroupCollectionPermission.objects.filter(group__name="Creator: zoe").values_list(
            "collection__name", "permission__codename"
        )
    ) == {
        ("Creator: zoe", codename)
        for codename in ("add_image", "choose_image", "change_image", "add_document", "choose_document", "change_document")
    }


def test_migrate_gives_a_creator_onboarded_before_collections_their_own(site_tree):
    from django.core.management import call_command

    _, index = site_tree
    user = make_user("old")
    provision_creator(user, display_name="Old", handle="old", index_page=index)
    GroupCollectionPermission.objects.filter(group__name="Creator: old").delete()
    Collection.objects.filter(name="Creator: old").delete()

    call_command("migrate", verbosity=0)

    assert set(
        GroupCollectionPermission.objects.filter(group__name="Creator: old").values_list("collection__name", flat=True)
    ) == {"Creator: old"}
