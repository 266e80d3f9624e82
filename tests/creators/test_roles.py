import pytest
from django.contrib.auth.models import Group
from wagtail.models import GroupApprovalTask, GroupPagePermission, Page, WorkflowPage

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
    }


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
