/* kolshop live page: follows a session without reloading.
   EventSource on the session's SSE stream; when it can't connect (or no event comes within a few
   seconds, e.g. a WSGI-only deployment), polls the state endpoint with If-None-Match (ETags).
   Readers beat every 15 s so the viewer count knows they are here. Replay chapters seek the video. */
(function () {
  "use strict";
  var root = document.querySelector("[data-live-session]");
  var chapters = document.querySelector("[data-replay-chapters]");
  if (chapters) {
    chapters.addEventListener("click", function (event) {
      var target = event.target.closest("[data-seek]");
      var video = document.querySelector("video");
      if (target && video) { video.currentTime = Number(target.dataset.seek); video.play(); }
    });
  }
  if (!root) { return; }
  var viewer = sessionStorage.getItem("kolshop-viewer");
  if (!viewer) {
    viewer = "v" + Math.random().toString(36).slice(2) + Date.now().toString(36);
    sessionStorage.setItem("kolshop-viewer", viewer);
  }
  var etag = null, version = Number(root.dataset.version), polling = null, gotEvent = false;

  function text(tag, value) { var node = document.createElement(tag); node.textContent = value; return node; }

  function render(state) {
    version = state.version;
    root.dataset.version = state.version;
    root.querySelector("[data-live-status]").textContent = state.status;
    root.querySelector("[data-live-viewers]").textContent = state.viewers;
    var pin = root.querySelector("[data-live-pin]");
    pin.replaceChildren();
    if (state.pin) {
      var line = document.createElement("p");
      line.append(text("strong", state.pin.title), " " + state.pin.price + " " + state.pin.currency + " ");
      var buy = text("a", "Buy");
      buy.className = "button";
      buy.href = state.pin.buy_url;
      line.append(buy);
      pin.append(line);
    }
    var deals = root.querySelector("[data-live-deals]");
    deals.replaceChildren();
    state.deals.forEach(function (deal) {
      var seconds = Math.max(0, Math.round((Date.parse(deal.running ? deal.ends_at : deal.opens_at) - Date.now()) / 1000));
      var label = deal.running ? "ends in " + seconds + " s" : "opens in " + seconds + " s";
      deals.append(text("p", "Flash deal: " + deal.sku + " at " + deal.price + " " + deal.currency + ", " +
        deal.remaining_units + " left, " + label));
    });
  }

  function poll() {
    var headers = etag ? { "If-None-Match": etag } : {};
    fetch(root.dataset.stateUrl, { headers: headers, credentials: "same-origin" }).then(function (response) {
      if (response.status === 200) {
        etag = response.headers.get("ETag");
        return response.json().then(render);
      }
    }).catch(function () {});
  }

  function startPolling() {
    if (polling) { return; }
    poll();
    polling = setInterval(poll, 3000);
  }

  function beat() {
    var body = new URLSearchParams({ viewer: viewer });
    fetch(root.dataset.heartbeatUrl, { method: "POST", body: body, credentials: "same-origin" }).catch(function () {});
  }

  if (window.EventSource) {
    var source = new EventSource(root.dataset.eventsUrl + "?viewer=" + encodeURIComponent(viewer) +
      "&last_event_id=" + version);
    source.addEventListener("state", function (event) {
      gotEvent = true;
      render(JSON.parse(event.data));
    });
    source.addEventListener("open", function () { gotEvent = true; });
    source.onerror = function () { if (!gotEvent) { source.close(); startPolling(); } };
    setTimeout(function () { if (!gotEvent) { source.close(); startPolling(); } }, 4000);
  } else {
    startPolling();
  }
  beat();
  setInterval(beat, 15000);
})();
