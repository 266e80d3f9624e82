"""Small pieces shared by the back-office listings of shop and creators."""

from wagtail_modeladmin.helpers import PermissionHelper


class ReadOnlyPermissionHelper(PermissionHelper):
    """For rows that change only through services (orders, payments, the ledger, payouts):
    the admin lists and inspects them, never adds, edits or deletes."""

    def user_can_create(self, user):
        return False

    def user_can_edit_obj(self, user, obj):
        return False

    def user_can_delete_obj(self, user, obj):
        return False
