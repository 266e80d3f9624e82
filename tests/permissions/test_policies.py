"""Each scoped policy answers all eight of Wagtail's entry points the same way."""

import pytest
from wagtail.permissions import policy_registry

from media.models import Video
from shop.models import Order, Product
from tests.factories import make_editor


def editor():
    return make_editor("policy-editor")


def entry_points(policy, user, action, instance) -> dict:
    return {
        "user_has_permission": policy.user_has_permission(user, action),
        "user_has_any_permission": policy.user_has_any_permission(user, [action]),
        "user_has_permission_for_instance": policy.user_has_permission_for_instance(user, action, instance),
        "user_has_any_permission_for_instance": policy.user_has_any_permission_for_instance(user, [action], instance),
        "instances_user_has_permission_for": instance in policy.instances_user_has_permission_for(user, action),
        "instances_user_has_any_permission_for": instance in policy.instances_user_has_any_permission_for(user, [action]),
        "users_with_permission_for_instance": user in policy.users_with_permission_for_instance(action, instance),
        "users_with_any_permission_for_instance": user in policy.users_with_any_permission_for_instance([action], instance),
    }


def answers(*, model_level: bool, instance_level: bool) -> dict:
    names = ["user_has_permission", "user_has_any_permission"]
    result = {name: model_level for name in names}
    for name in [
        "user_has_permission_for_instance", "user_has_any_permission_for_instance",
        "instances_user_has_permission_for", "instances_user_has_any_permission_for",
        "users_with_permission_for_instance", "users_with_any_permission_for_instance",
    ]:
        result[name] = instance_level
    return result


@pytest.mark.parametrize("who, expected", [
    ("creator_a", answers(model_level=True, instance_level=True)),
    ("creator_b", answers(model_level=True, instance_level=False)),
    ("editor", answers(model_level=True, instance_level=True)),
])
def test_video_policy_deletes_only_own_videos_unless_editor(world, who, expected):
    user = editor() if who == "editor" else getattr(world, who).user

    assert entry_points(policy_registry.get_by_type(Video), user, "delete", world.video) == expected


@pytest.mark.parametrize("who, expected", [
    ("brand_user_b", answers(model_level=True, instance_level=False)),
    ("brandless_user", answers(model_level=True, instance_level=False)),
    ("editor", answers(model_level=True, instance_level=True)),
])
def test_product_policy_views_only_own_brand(world, who, expected):
    user = editor() if who == "editor" else getattr(world, who)

    assert entry_points(policy_registry.get_by_type(Product), user, "view", world.active_product) == expected


def test_product_policy_lets_creators_choose_only_active_products(world):
    policy, creator = policy_registry.get_by_type(Product), world.creator_b.user

    assert entry_points(policy, creator, "choose", world.active_product) == answers(model_level=True, instance_level=True)
    assert entry_points(policy, creator, "choose", world.draft_product) == answers(model_level=True, instance_level=False)
    assert policy.user_has_permission(creator, "change") is False


@pytest.mark.parametrize("who, expected", [
    ("creator_b", answers(model_level=False, instance_level=False)),
    ("brand_user_b", answers(model_level=False, instance_level=False)),
    ("editor", answers(model_level=True, instance_level=True)),
])
def test_order_policy_is_back_office_only(world, who, expected):
    user = editor() if who == "editor" else getattr(world, who)
    user = getattr(user, "user", user)

    assert entry_points(policy_registry.get_by_type(Order), user, "view", world.order) == expected


def test_ledger_policy_lets_a_creator_choose_only_their_own_entries(world):
    policy = policy_registry.get_by_type(type(world.ledger_entry))

    assert entry_points(policy, world.creator_a.user, "choose", world.ledger_entry) == answers(
        model_level=True, instance_level=True
    )
    assert entry_points(policy, world.creator_b.user, "choose", world.ledger_entry) == answers(
        model_level=True, instance_level=False
    )
    assert policy.user_has_permission_for_instance(world.creator_b.user, "choose", world.ledger_entry) is False
    assert policy.user_has_permission(world.creator_a.user, "view") is False
