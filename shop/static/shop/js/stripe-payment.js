// The order page's Stripe Payment Element: a static file so the CSP needs no inline script.
(function () {
  const form = document.getElementById("payment-form");
  if (!form || typeof Stripe === "undefined") return;
  const stripe = Stripe(form.dataset.publishableKey);
  const elements = stripe.elements({clientSecret: form.dataset.clientSecret});
  elements.create("payment").mount("#payment-element");
  form.addEventListener("submit", async function (event) {
    event.preventDefault();
    const {error} = await stripe.confirmPayment({elements, confirmParams: {return_url: form.dataset.returnUrl}});
    if (error) document.getElementById("payment-message").textContent = error.message;
  });
})();
