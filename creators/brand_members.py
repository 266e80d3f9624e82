"""Admin for brand users: staff link an existing user (chosen in a staff-only user chooser) or create
a new one, and the product's own ``add_brand_member`` gives them the Brands role and the brand."""

from django import forms
from django.contrib.auth import get_user_model, password_validation
from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext_lazy as _
from wagtail.admin.forms import WagtailAdminModelForm
from wagtail.admin.panels import FieldPanel, MultiFieldPanel, ObjectList
from wagtail.admin.ui.tables import Column
from wagtail.admin.viewsets.chooser import ChooserViewSet
from wagtail.admin.views.generic import chooser as chooser_views
from wagtail.snippets.views.snippets import SnippetViewSet

from creators.services.roles import add_brand_member
from shop.models import BrandMembership

MANAGE_PERMISSION = "shop.add_brandmembership"


def can_manage_brand_members(user) -> bool:
    return bool(user.is_authenticated and user.is_active and user.has_perm(MANAGE_PERMISSION))


class StaffOnlyMixin:
    """Wagtail's generic chooser views check no permission; users' names are for staff only."""

    def dispatch(self, request, *args, **kwargs):
        if not can_manage_brand_members(request.user):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)


class UserColumnsMixin:
    def get_object_list(self):
        return get_user_model().objects.filter(is_active=True).order_by("username")

    @property
    def columns(self):
        return [
            self.title_column,
            Column("email", label=_("Email"), accessor="email"),
        ]


class UserChooseView(StaffOnlyMixin, UserColumnsMixin, chooser_views.ChooseView):
    pass


class UserChooseResultsView(StaffOnlyMixin, UserColumnsMixin, chooser_views.ChooseResultsView):
    pass


class UserChosenView(StaffOnlyMixin, chooser_views.ChosenView):
    pass


class UserChosenMultipleView(StaffOnlyMixin, chooser_views.ChosenMultipleView):
    pass


class UserChooserViewSet(ChooserViewSet):
    model = get_user_model()
    icon = "user"
    choose_one_text = _("Choose a user")
    choose_another_text = _("Choose another user")
    choose_view_class = UserChooseView
    choose_results_view_class = UserChooseResultsView
    chosen_view_class = UserChosenView
    chosen_multiple_view_class = UserChosenMultipleView
    # Only for the brand member form: do not replace every user field in the admin.
    register_widget = False


user_chooser_viewset = UserChooserViewSet("brand_member_user_chooser", url_prefix="brand-members/users")


class BrandMemberForm(WagtailAdminModelForm):
    """Either choose an existing user or give a username, email and password for a new one."""

    new_username = forms.CharField(label=_("New user's username"), max_length=150, required=False)
    new_email = forms.EmailField(label=_("New user's email"), required=False)
    new_password = forms.CharField(label=_("New user's password"), required=False, widget=forms.PasswordInput)

    class Meta:
        model = BrandMembership
        fields = ["brand", "user"]
        widgets = {"user": user_chooser_viewset.widget_class()}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["user"].required = False
        self.fields["user"].help_text = _("An existing user, or leave empty and create one below.")

    def clean(self):
        cleaned_data = super().clean()
        user, username = cleaned_data.get("user"), cleaned_data.get("new_username", "").strip()
        if user is not None and username:
            self.add_error("new_username", _("Choose an existing user or create a new one, not both."))
        elif user is None and not username:
            self.add_error("user", _("Choose a user, or give a username to create one."))
        elif username:
            self._clean_new_user(username, cleaned_data)
        return cleaned_data

    def _clean_new_user(self, username: str, cleaned_data: dict) -> None:
        User = get_user_model()
        if User.objects.filter(username__iexact=username).exists():
            self.add_error("new_username", _("A user with that username already exists; choose them above."))
        if not cleaned_data.get("new_email"):
            self.add_error("new_email", _("A new user needs an email address."))
        password = cleaned_data.get("new_password") or ""
        try:
            password_validation.validate_password(password, User(username=username, email=cleaned_data.get("new_email")))
        except forms.ValidationError as error:
            self.add_error("new_password", error)

    def save(self, commit: bool = True) -> BrandMembership:
        user = self.cleaned_data.get("user")
        if user is None:
            user = get_user_model().objects.create_user(
                username=self.cleaned_data["new_username"].strip(),
                email=self.cleaned_data["new_email"],
                password=self.cleaned_data["new_password"],
            )
        if self.instance.pk:  # editing: move this membership, then make sure the role is there
            self.instance.user = user
            self.instance.save()
        self.instance = add_brand_member(user, brand=self.cleaned_data["brand"])
        return self.instance


class BrandMemberViewSet(SnippetViewSet):
    """Staff only: the Editors role holds the brand membership permissions, brand users and creators do not."""

    model = BrandMembership
    icon = "group"
    menu_label = _("Brand users")
    add_to_admin_menu = True
    menu_order = 225
    url_prefix = "brand-members"
    list_display = ["user", "brand", "created_at"]
    list_filter = ["brand"]
    edit_handler = ObjectList(
        [
            FieldPanel("brand"),
            FieldPanel("user"),
            MultiFieldPanel(
                [FieldPanel("new_username"), FieldPanel("new_email"), FieldPanel("new_password")],
                heading=_("Or create a new user"),
            ),
        ],
        base_form_class=BrandMemberForm,
    )
