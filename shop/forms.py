"""The reader's server-rendered checkout form: the same column limits as the API (shop.validation).

Only shape is checked here (length, control characters); what makes an order valid (a real email,
a complete address, a usable voucher) stays in ``shop.services.checkout``, with its own messages.
"""

from django import forms

from shop.models import GroupMember, Order, Voucher
from shop.validation import column_max_length, validate_no_control_characters

# Form field → (model, column, label as the form shows it).
_CHECKOUT_FIELDS = {
    "email": (Order, "email", "Email"),
    "name": (Order, "shipping_name", "Full name"),
    "line1": (Order, "shipping_line1", "Address"),
    "line2": (Order, "shipping_line2", "Address line 2"),
    "city": (Order, "shipping_city", "City"),
    "postal_code": (Order, "shipping_postal_code", "Postal code"),
    "country": (Order, "shipping_country", "Country"),
    "fulfilment": (Order, "fulfilment_method", "Delivery"),
    "voucher_code": (Voucher, "code", "Voucher code"),
}


class CheckoutForm(forms.Form):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name, (model, column, label) in _CHECKOUT_FIELDS.items():
            self.fields[name] = forms.CharField(
                label=label, required=False, max_length=column_max_length(model, column),
                validators=[validate_no_control_characters],
            )

    def error_messages(self) -> list[str]:
        """One message per invalid field, named as the form labels it."""
        return [f"{self.fields[name].label}: {errors[0]}" for name, errors in self.errors.items()]


class GroupBuyForm(CheckoutForm):
    """Opening or joining a group-buy team on the reader site: the checkout's fields (no voucher), a first
    name others see and a quantity. The rules (seats, caps, the buyer's one open team) stay in the service."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        del self.fields["voucher_code"]
        self.fields["first_name"] = forms.CharField(
            label="First name (others in the team see it)", required=False,
            max_length=column_max_length(GroupMember, "display_name"), validators=[validate_no_control_characters])
        self.fields["quantity"] = forms.IntegerField(label="Quantity", required=False, min_value=1, max_value=99)
        self.fields["ref"] = forms.CharField(required=False, max_length=2000, validators=[validate_no_control_characters])
