// Checkout: the total with shipping follows the reader's delivery and country choice, before paying.
// (The address fieldset hides for pickup in CSS; without this script the server's total is shown.)
(function () {
  var form = document.querySelector("form.checkout");
  var summary = form && form.querySelector(".checkout-summary");
  if (!summary) return;
  var subtotalCents = Math.round(parseFloat(summary.dataset.subtotal) * 100);
  var currency = summary.dataset.currency;
  var button = form.querySelector("button[type=submit]");
  function money(cents) { return (cents / 100).toFixed(2) + " " + currency; }
  function update() {
    var pickup = form.querySelector("input[name=fulfilment][value=pickup]:checked");
    var option = form.querySelector("#country").selectedOptions[0];
    var shippingCents = pickup || !option ? 0 : Math.round(parseFloat(option.dataset.rate) * 100);
    form.querySelector("#checkout-shipping").textContent = money(shippingCents);
    form.querySelector("#checkout-total").textContent = money(subtotalCents + shippingCents);
    if (button && button.dataset.label === undefined) button.dataset.label = button.textContent;
    if (button && /demo payment/.test(button.dataset.label)) {
      button.textContent = "Place order and pay " + money(subtotalCents + shippingCents) + " (demo payment)";
    }
  }
  form.addEventListener("change", update);
  update();
})();
