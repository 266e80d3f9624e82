"""Staff block readers' share links (one or many at once), saying why: ``readers.services.shares.block_shares``.

Needs ``readers.block_sharelink`` (the Editors role has it; creators and brands never do)."""

from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.shortcuts import redirect
from django.template.response import TemplateResponse

from readers.models import ShareLink
from readers.services.shares import block_shares
from shop.errors import DomainError
from shop.validation import row_id

BLOCK_PERMISSION = "readers.block_sharelink"
LISTED = 200  # active share links offered on the bulk form (newest first); ?id= adds any other


def _ids(values) -> list[int]:
    return [row_id(value) for value in values if row_id(value) is not None][:LISTED]


@permission_required(BLOCK_PERMISSION, raise_exception=True)
def block_share_links(request):
    """GET: the form (the links in ``?id=`` ticked); POST: block the ticked links with the reason given."""
    if request.method == "POST":
        chosen = _ids(request.POST.getlist("id"))
        try:
            blocks = block_shares(chosen, reason=request.POST.get("reason", ""), by=request.user)
        except DomainError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, f"{len(chosen)} share link(s) blocked ({len(blocks)} newly).")
            return redirect("readers_sharelink_modeladmin_index")
    else:
        chosen = _ids(request.GET.getlist("id"))
    offered = list(ShareLink.objects.filter(active=True).order_by("-created_at", "-pk")[:LISTED])
    offered += list(ShareLink.objects.filter(pk__in=set(chosen) - {link.pk for link in offered}))
    return TemplateResponse(request, "readers/admin/block_share_links.html", {
        "links": offered, "chosen": set(chosen), "reason": request.POST.get("reason", ""),
    })
