"""Walks the URL resolver and turns every admin route into concrete URLs aimed at victim rows.

A route's kwargs are filled from a *target*: one of the victim objects (or, for models without a
victim, the first existing row). Which targets fit a route is decided by the view's model
(Wagtail viewsets: ``view_initkwargs["model"]``; modeladmin: the bound ModelAdmin's ``model``) or,
for kwargs that name their model (``page_id``, ``image_id``...), by that name. A route none of
whose kwargs can be filled is *unfillable* and must be listed in ``ALLOWED_UNFILLABLE``.
"""

import re
from dataclasses import dataclass

from django.apps import apps
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db.models import Model
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from wagtail.admin.views.bulk_action.registry import bulk_action_registry
from wagtail.documents import get_document_model
from wagtail.images import get_image_model
from wagtail.models import Collection, Page, Site, Task, Workflow

# Routes the matrix cannot aim at a victim, each with the reason that is safe.
ALLOWED_UNFILLABLE = {
    "admin/^.*/$": "Wagtail's catch-all 404 for unknown admin paths; it renders no data.",
    "admin/password_reset/confirm/<uidb64>/<token>/": "Public by design; the signed token is the permission.",
    "admin/editing-sessions/ping/<str:app_label>/<str:model_name>/<str:object_id>/<int:session_id>/":
        "Wagtail 404s unless the user may edit the object, and looks the session up with user=request.user.",
    "admin/editing-sessions/release/<int:session_id>/":
        "Wagtail deletes only EditingSession rows of request.user.",
    "admin/documents/multiple/create_from_uploaded_document/<int:uploaded_file_id>/":
        "Wagtail refuses (PermissionDenied) an UploadedFile whose uploaded_by_user is not request.user.",
    "admin/documents/multiple/delete_upload/<int:uploaded_file_id>/":
        "Wagtail refuses (PermissionDenied) an UploadedFile whose uploaded_by_user is not request.user.",
    "admin/images/multiple/create_from_uploaded_image/<int:uploaded_file_id>/":
        "Wagtail refuses (PermissionDenied) an UploadedFile whose uploaded_by_user is not request.user.",
    "admin/images/multiple/delete_upload/<int:uploaded_file_id>/":
        "Wagtail refuses (PermissionDenied) an UploadedFile whose uploaded_by_user is not request.user.",
    "admin/redirects/<int:redirect_id>/": "Staff only (wagtailredirects permissions); no owner- or brand-scoped data.",
    "admin/redirects/<int:redirect_id>/delete/": "Staff only (wagtailredirects permissions).",
}
# Requests the matrix does not send, with the reason.
SKIPPED_ROUTE_NAMES = {
    "wagtailadmin_logout": "Would end the session the rest of the matrix runs in.",
}
# Routes requested without kwargs under their plain path (no name to reverse).
SKIPPED_ROUTES = {
    "admin/failwhale/": "Wagtail's deliberate 500 page (tests the error template); it reads no data.",
}

# Server errors that are Wagtail's own input handling, not a permission question.
KNOWN_SERVER_ERRORS = {
    ("POST", "admin/choose-external-link/"): "Wagtail's ExternalLinkChooserForm crashes on a POST without a url.",
}

PAGE_KWARGS = {"page_id", "parent_page_id", "page_to_move_id", "page_pk", "destination_id"}
OBJECT_KWARGS = {"pk", "instance_pk", "object_id"}
# Kwargs whose name says what model they hold.
NAMED_MODEL_KWARGS = {
    "image_id": get_image_model,
    "document_id": get_document_model,
    "doc_id": get_document_model,
    "order_id": lambda: apps.get_model("shop", "Order"),
    "product_id": lambda: apps.get_model("shop", "Product"),
    "collection_id": lambda: Collection,
    "workflow_pk": lambda: Workflow,
    "task_id": lambda: Task,
    "user_id": get_user_model,
}
CONTENT_TYPE_KWARGS = [
    ("app_label", "model_name"),
    ("app_name", "model_name"),
    ("content_type_app_name", "content_type_model_name"),
]
# When a view does not name its model, the route's words do.
ROUTE_MODEL_HINTS = [
    ("pages", lambda: Page),
    ("images", get_image_model),
    ("documents", get_document_model),
    ("collections", lambda: Collection),
    ("workflows/tasks", lambda: Task),
    ("workflows", lambda: Workflow),
    ("users", get_user_model),
    ("groups", lambda: Group),
    ("sites", lambda: Site),
]


@dataclass(frozen=True)
class AdminRoute:
    route: str
    name: str | None
    callback: object
    kwarg_names: tuple[str, ...]


def admin_routes(prefix: str = "admin/") -> list[AdminRoute]:
    """Every URL pattern under ``prefix``, with its namespaced name and kwarg names."""
    found = []

    def walk(resolver, route="", namespace="", kwargs=()):
        for pattern in resolver.url_patterns:
            own_kwargs = kwargs + tuple(pattern.pattern.regex.groupindex)
            if isinstance(pattern, URLResolver):
                inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
                walk(pattern, route + str(pattern.pattern), inner, own_kwargs)
            elif isinstance(pattern, URLPattern):
                full = route + str(pattern.pattern)
                if full.startswith(prefix):
                    name = f"{namespace}{pattern.name}" if pattern.name else None
                    found.append(AdminRoute(full, name, pattern.callback, tuple(dict.fromkeys(own_kwargs))))

    walk(get_resolver())
    return found


def view_model(callback) -> type[Model] | None:
    """The model a view works on, from the viewset's initkwargs or the bound ModelAdmin."""
    owner = getattr(callback, "__self__", None)
    if owner is not None and isinstance(getattr(owner, "model", None), type):
        return owner.model
    initkwargs = getattr(callback, "view_initkwargs", None) or {}
    model = initkwargs.get("model") or getattr(getattr(callback, "view_class", None), "model", None)
    if isinstance(model, str):
        model = apps.get_model(model)
    return model if isinstance(model, type) and issubclass(model, Model) else None


def _route_hint(route: str):
    for word, model in ROUTE_MODEL_HINTS:
        if f"/{word}/" in f"/{route}":
            return model()
    return None


def _matches(target, model) -> bool:
    return model is None or isinstance(target, model)


def _workflow_values(target) -> dict:
    if not isinstance(target, Page):
        return {}
    state = target.workflow_states.filter(status="in_progress").first()
    if state is None or state.current_task_state is None:
        return {}
    task_state = state.current_task_state
    return {"workflow_state_id": state.pk, "task_state_id": task_state.pk, "task_id": task_state.task_id}


def _fill(route: AdminRoute, target, model) -> list[tuple[dict, str]] | None:
    """kwargs (and query strings) aiming ``route`` at ``target``; None when it does not fit."""
    values: dict = {}
    names = set(route.kwarg_names)
    for name in names & PAGE_KWARGS:
        if not isinstance(target, Page):
            return None
        values[name] = target.get_parent().pk if name == "destination_id" else target.pk
    for name in names & OBJECT_KWARGS:
        if not _matches(target, model or _route_hint(route.route)):
            return None
        values[name] = target.pk
    for name in names & set(NAMED_MODEL_KWARGS):
        if name in ("task_id", "workflow_pk") and isinstance(target, Page):
            continue  # the page's own workflow and task, below
        if not isinstance(target, NAMED_MODEL_KWARGS[name]()):
            return None
        values[name] = target.pk
    for app_kwarg, model_kwarg in CONTENT_TYPE_KWARGS:
        if {app_kwarg, model_kwarg} <= names:
            values[app_kwarg], values[model_kwarg] = target._meta.app_label, target._meta.model_name
    if names & {"revision_id"}:
        if not getattr(target, "latest_revision_id", None):
            return None
        values["revision_id"] = target.latest_revision_id
    values.update({"revision_id_a": "earliest", "revision_id_b": "latest", "filter_spec": "original"})
    workflow = _workflow_values(target)
    if "workflow_pk" in names and isinstance(target, Page) and target.get_workflow() is not None:
        values["workflow_pk"] = target.get_workflow().pk
    for name in names & {"workflow_state_id", "task_state_id", "task_id"}:
        if name not in values:
            if name not in workflow:
                return None
            values[name] = workflow[name]
    if "action_name" in names:
        values["action_name"] = "approve" if "workflow" in route.route else "publish"
    values = {name: value for name, value in values.items() if name in names}
    if set(values) != names - {"action"}:
        return None
    if "action" in names:
        actions = bulk_action_registry.get_bulk_actions_for_model(target._meta.app_label, target._meta.model_name)
        return [({**values, "action": action.action_type}, f"?id={target.pk}") for action in actions]
    return [(values, "")]


def urls_for(route: AdminRoute, victims: list, *, query: str) -> list[str] | None:
    """Concrete URLs for ``route``: one per fitting victim, or per first row of the view's model."""
    if not route.kwarg_names:
        path = reverse(route.name) if route.name else "/" + route.route
        return None if re.search(r"[\^$(\\]", path) else [path + query]
    model = view_model(route.callback)
    if route.name is None:
        return None
    urls = _urls_at(route, victims, model)
    fallback_model = model or _route_hint(route.route)
    if not urls and fallback_model is not None:
        first = fallback_model._default_manager.order_by("pk").first()
        urls = _urls_at(route, [first] if first is not None else [], model)
    return urls or None


def _urls_at(route: AdminRoute, targets: list, model) -> list[str]:
    urls = []
    for target in targets:
        for kwargs, target_query in _fill(route, target, model) or []:
            urls.append(reverse(route.name, kwargs=kwargs) + target_query)
    return list(dict.fromkeys(urls))
