/* kolshop block-aware editor (vendored, no dependencies).
 *
 * Runs on Wagtail's page editor and, every few hundred milliseconds, looks at the StreamField forms:
 * - a chosen product shows its image, price and stock inside its block;
 * - a shop-the-look block shows its image large: clicking it places the selected hotspot (x/y are
 *   written to the block's own fields as percentages with two decimals; the server validates them);
 *   once every hotspot is placed, a click adds a new one there (through the list's own "Add" button);
 * - a comparison table's attribute fields suggest the attribute names its products have.
 * Data comes from staff-only JSON endpoints scoped like the choosers (content/editor_views.py).
 * Polling instead of hooking Wagtail's internals: choosers, added and reordered blocks are all seen.
 */
(function () {
  "use strict";

  var script = document.currentScript;
  var adminRoot = (script && script.dataset.adminRoot) || "/admin/";
  var cache = {};

  function getJSON(url) {
    if (!cache[url]) {
      cache[url] = fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (response) { return response.ok ? response.json() : null; })
        .catch(function () { return null; });
    }
    return cache[url];
  }

  function product(id) { return getJSON(adminRoot + "content/product-preview/" + id + "/"); }
  function image(id) { return getJSON(adminRoot + "content/image-preview/" + id + "/"); }

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function isDeleted(prefix) {
    var deleted = document.getElementById(prefix + "-deleted");
    return deleted && deleted.value === "1";
  }

  function setValue(input, value) {
    input.value = value;
    input.dispatchEvent(new Event("input", { bubbles: true }));
    input.dispatchEvent(new Event("change", { bubbles: true }));
  }

  /* --- product previews ------------------------------------------------------------------- */

  function renderProduct(box, data) {
    box.textContent = "";
    if (!data) {
      box.appendChild(el("span", "kolshop-preview__warning", "This product can't be chosen any more."));
      return;
    }
    if (data.image) {
      var img = el("img", "kolshop-preview__image");
      img.src = data.image.url;
      img.alt = "";
      img.width = 64;
      img.height = 64;
      box.appendChild(img);
    }
    var text = el("div", "kolshop-preview__text");
    text.appendChild(el("strong", "", data.title));
    text.appendChild(el("span", "kolshop-preview__price", data.price ? " · " + data.price : ""));
    text.appendChild(el("span", data.available ? "kolshop-preview__stock" : "kolshop-preview__warning",
      " · " + (data.available ? data.stock : data.unavailable_reason || data.stock)));
    box.appendChild(text);
  }

  function previewProducts() {
    var inputs = document.querySelectorAll('input[type="hidden"][name$="-product"], ' +
      'input[type="hidden"][name*="-value-products-"][name$="-value"]');
    inputs.forEach(function (input) {
      var chooser = document.getElementById(input.id + "-chooser");
      if (!chooser) return;
      var box = document.querySelector('[data-kolshop-preview-for="' + input.id + '"]');
      if (!input.value) {
        if (box) box.remove();
        return;
      }
      if (box && box.dataset.productId === input.value) return;
      if (!box) {
        box = el("div", "kolshop-preview");
        box.dataset.kolshopPreviewFor = input.id;
        box.setAttribute("aria-live", "polite");
        chooser.insertAdjacentElement("afterend", box);
      }
      box.dataset.productId = input.value;
      product(input.value).then(function (data) {
        if (box.dataset.productId === input.value) renderProduct(box, data);
      });
    });
  }

  /* --- hotspots by clicking ------------------------------------------------------------- */

  var NEW_HOTSPOT = "new";

  function hotspotPrefixes(blockPrefix) {
    var found = [];
    document.querySelectorAll('input[name^="' + blockPrefix + '-value-hotspots-"][name$="-value-x"]')
      .forEach(function (x) {
        var prefix = x.name.slice(0, -"-x".length);
        var item = prefix.slice(0, -"-value".length);
        if (!isDeleted(item)) found.push(prefix);
      });
    return found;
  }

  function hotspotName(prefix, position) {
    var label = document.querySelector('[name="' + prefix + '-label"]');
    var productBox = document.querySelector('[data-kolshop-preview-for="' + (document.querySelector(
      '[name="' + prefix + '-product"]') || {}).id + '"] strong');
    var name = (label && label.value) || (productBox && productBox.textContent) || "";
    return "Hotspot " + position + (name ? ": " + name : "");
  }

  function drawMarkers(placer, prefixes) {
    var stage = placer.querySelector(".kolshop-hotspots__stage");
    stage.querySelectorAll(".kolshop-hotspots__marker").forEach(function (marker) { marker.remove(); });
    prefixes.forEach(function (prefix, index) {
      var x = parseFloat((document.querySelector('[name="' + prefix + '-x"]') || {}).value);
      var y = parseFloat((document.querySelector('[name="' + prefix + '-y"]') || {}).value);
      if (isNaN(x) || isNaN(y)) return;
      var marker = el("span", "kolshop-hotspots__marker", String(index + 1));
      marker.style.left = x + "%";
      marker.style.top = y + "%";
      marker.dataset.hotspot = String(index + 1);
      stage.appendChild(marker);
    });
  }

  function syncSelect(select, prefixes) {
    var wanted = prefixes.map(function (prefix, index) { return prefix + "|" + hotspotName(prefix, index + 1); });
    var have = Array.prototype.map.call(select.options, function (option) { return option.value + "|" + option.text; });
    if (wanted.join("\n") === have.join("\n")) return;
    var chosen = select.value;
    select.textContent = "";
    prefixes.forEach(function (prefix, index) {
      var option = el("option", "", hotspotName(prefix, index + 1));
      option.value = prefix;
      select.appendChild(option);
    });
    var added = el("option", "", "A new hotspot");
    added.value = NEW_HOTSPOT;
    select.appendChild(added);
    if (prefixes.indexOf(chosen) >= 0 || chosen === NEW_HOTSPOT) select.value = chosen;
  }

  /* Appends a hotspot with Wagtail's own "Add" button at the end of the block's hotspot list (so the
   * list's count, ids and max_num stay Wagtail's business) and returns the new hotspot's prefix. */
  function addHotspot(blockPrefix) {
    var count = document.querySelector('input[name="' + blockPrefix + '-value-hotspots-count"]');
    var container = count && count.parentNode.querySelector("[data-streamfield-list-container]");
    if (!container) return null;
    var buttons = container.querySelectorAll(":scope > [data-streamfield-list-add]");
    var add = buttons[buttons.length - 1];
    if (!add || add.disabled) return null;
    var before = hotspotPrefixes(blockPrefix);
    add.click();
    var after = hotspotPrefixes(blockPrefix).filter(function (prefix) { return before.indexOf(prefix) < 0; });
    return after.length ? after[0] : null;
  }

  function nextUnplaced(prefixes, after) {
    var start = prefixes.indexOf(after) + 1;
    for (var i = 0; i < prefixes.length; i++) {
      var prefix = prefixes[(start + i) % prefixes.length];
      if (!document.querySelector('[name="' + prefix + '-x"]').value) return prefix;
    }
    return NEW_HOTSPOT;
  }

  function buildPlacer(imageInput, blockPrefix) {
    var placer = el("div", "kolshop-hotspots");
    placer.dataset.kolshopHotspotsFor = blockPrefix;
    var help = el("label", "kolshop-hotspots__help", "Click the image to place ");
    var select = el("select", "kolshop-hotspots__select");
    select.setAttribute("aria-label", "Hotspot to place");
    help.appendChild(select);
    placer.appendChild(help);
    var stage = el("div", "kolshop-hotspots__stage");
    var img = el("img", "kolshop-hotspots__image");
    img.alt = "Click to place the selected hotspot";
    stage.appendChild(img);
    placer.appendChild(stage);
    img.addEventListener("click", function (event) {
      var prefix = select.value === NEW_HOTSPOT ? addHotspot(blockPrefix) : select.value;
      if (!prefix) return;
      var box = img.getBoundingClientRect();
      var x = Math.min(100, Math.max(0, ((event.clientX - box.left) / box.width) * 100));
      var y = Math.min(100, Math.max(0, ((event.clientY - box.top) / box.height) * 100));
      setValue(document.querySelector('[name="' + prefix + '-x"]'), x.toFixed(2));
      setValue(document.querySelector('[name="' + prefix + '-y"]'), y.toFixed(2));
      var prefixes = hotspotPrefixes(blockPrefix);
      drawMarkers(placer, prefixes);
      select.value = nextUnplaced(prefixes, prefix);
    });
    var chooser = document.getElementById(imageInput.id + "-chooser");
    (chooser || imageInput).insertAdjacentElement("afterend", placer);
    return placer;
  }

  function placeHotspots() {
    document.querySelectorAll('input[type="hidden"][name$="-value-image"]').forEach(function (imageInput) {
      var blockPrefix = imageInput.name.slice(0, -"-value-image".length);
      var prefixes = hotspotPrefixes(blockPrefix);
      var placer = document.querySelector('[data-kolshop-hotspots-for="' + blockPrefix + '"]');
      if (!imageInput.value || !document.querySelector('[name^="' + blockPrefix + '-value-hotspots-"]')) {
        if (placer) placer.remove();
        return;
      }
      placer = placer || buildPlacer(imageInput, blockPrefix);
      syncSelect(placer.querySelector("select"), prefixes);
      if (placer.dataset.imageId !== imageInput.value) {
        placer.dataset.imageId = imageInput.value;
        image(imageInput.value).then(function (data) {
          if (data && placer.dataset.imageId === imageInput.value) {
            var img = placer.querySelector("img");
            img.src = data.url;
            img.width = data.width;
            img.height = data.height;
          }
        });
      }
      drawMarkers(placer, prefixes);
    });
  }

  /* --- comparison attributes ------------------------------------------------------------ */

  function suggestAttributes() {
    var byBlock = {};
    document.querySelectorAll('input[name*="-value-attributes-"][name$="-value"]').forEach(function (input) {
      var match = input.name.match(/^(.*)-value-attributes-\d+-value$/);
      if (!match) return;
      (byBlock[match[1]] = byBlock[match[1]] || []).push(input);
    });
    Object.keys(byBlock).forEach(function (blockPrefix) {
      var ids = [];
      document.querySelectorAll('input[type="hidden"][name^="' + blockPrefix + '-value-products-"][name$="-value"]')
        .forEach(function (input) { if (input.value) ids.push(input.value); });
      var listId = blockPrefix + "-attribute-names";
      var list = document.getElementById(listId);
      if (!list) {
        list = el("datalist");
        list.id = listId;
        document.body.appendChild(list);
      }
      byBlock[blockPrefix].forEach(function (input) { input.setAttribute("list", listId); });
      var key = ids.join(",");
      if (list.dataset.products === key) return;
      list.dataset.products = key;
      Promise.all(ids.map(product)).then(function (products) {
        if (list.dataset.products !== key) return;
        var names = [];
        products.forEach(function (data) {
          (data ? data.attributes : []).forEach(function (name) { if (names.indexOf(name) < 0) names.push(name); });
        });
        list.textContent = "";
        names.forEach(function (name) {
          var option = el("option");
          option.value = name;
          list.appendChild(option);
        });
      });
    });
  }

  function tick() {
    previewProducts();
    placeHotspots();
    suggestAttributes();
  }

  function start() {
    tick();
    window.setInterval(tick, 500);
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
