"""POST /webhooks/stripe/: Stripe's events. Errors are JSON {"code", "message", "field"}."""

from django.http import HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from shop.payments.stripe_api import WebhookSignatureError
from shop.payments.webhooks import handle_stripe_webhook


@csrf_exempt
@require_POST
def stripe_webhook(request: HttpRequest) -> JsonResponse:
    try:
        outcome = handle_stripe_webhook(request.body, request.headers.get("Stripe-Signature", ""))
    except WebhookSignatureError as error:
        body = {"code": "invalid_signature", "message": str(error), "field": "Stripe-Signature"}
        return JsonResponse(body, status=400)
    return JsonResponse({"id": outcome.event_id, "type": outcome.type, "result": outcome.result})
