from django.utils.translation import gettext_lazy as _
from wagtail.snippets.models import register_snippet
from wagtail.snippets.views.snippets import SnippetViewSet

from creators.models import CreatorProfile


class CreatorProfileViewSet(SnippetViewSet):
    model = CreatorProfile
    icon = "user"
    menu_label = _("Creators")
    list_display = ["display_name", "handle", "default_commission_rate"]
    search_fields = ["display_name", "handle"]
    search_backend_name = None
    add_to_admin_menu = True
    menu_order = 220


register_snippet(CreatorProfileViewSet)
