"""The reader site's page behind the e-mailed link: GET shows a button (mail scanners that fetch links
must not use the one-time token), POST confirms and answers the zip or the erasure's status."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_http_methods

from privacy.services.requests import confirm_request
from shop.errors import DomainError


@require_http_methods(["GET", "POST"])
def confirm(request: HttpRequest) -> HttpResponse:
    token = request.POST.get("token") if request.method == "POST" else request.GET.get("token", "")
    if request.method == "GET":
        return render(request, "privacy/confirm.html", {"token": token})
    try:
        outcome = confirm_request(token or "")
    except DomainError as error:
        return render(request, "privacy/confirm.html", {"error": error.message}, status=404)
    if outcome.archive is not None:
        response = HttpResponse(outcome.archive, content_type="application/zip")
        response["Content-Disposition"] = 'attachment; filename="kolshop-personal-data.zip"'
        return response
    return render(request, "privacy/confirm.html", {"done": outcome.request})
