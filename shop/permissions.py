"""Instance-level admin permissions: a brand user may act only on its own brands' rows."""

from wagtail.permission_policies import ModelPermissionPolicy

from shop.services.brand_access import brand_ids_for_user, limit_to_user_brands


class BrandScopedPermissionPolicy(ModelPermissionPolicy):
    """Model permissions, narrowed for brand users to rows of their brands.

    ``brand_path`` is the lookup from the model to the brand's id, e.g. ``"brand_id"``
    for products or ``"product__brand_id"`` for variants.
    """

    def __init__(self, model, *, brand_path: str, **kwargs):
        super().__init__(model, **kwargs)
        self.brand_path = brand_path

    def _brand_id_of(self, instance) -> int | None:
        value = instance
        for part in self.brand_path.split("__"):
            value = getattr(value, part, None)
            if value is None:
                return None
        return value

    def user_has_any_permission_for_instance(self, user, actions, instance):
        if not super().user_has_any_permission_for_instance(user, actions, instance):
            return False
        brand_ids = brand_ids_for_user(user)
        return brand_ids is None or self._brand_id_of(instance) in brand_ids

    def instances_user_has_any_permission_for(self, user, actions):
        instances = super().instances_user_has_any_permission_for(user, actions)
        return limit_to_user_brands(instances, user, brand_path=self.brand_path)
