/* Omote Tea Store — first-party script.
 * Keeps a small cart in localStorage so the static demo pages can show what
 * was added; the forms still POST to the origin (/cart/add, /newsletter),
 * which answers 303 See Other -> /cart.html. */
(function () {
  "use strict";

  var CART_KEY = "omote_cart";
  var FLASH_KEY = "omote_flash";
  var yen = (window.Intl && Intl.NumberFormat)
    ? new Intl.NumberFormat("ja-JP", { style: "currency", currency: "JPY" })
    : { format: function (n) { return "\u00a5" + n; } };

  function load() {
    try {
      var v = JSON.parse(window.localStorage.getItem(CART_KEY) || "[]");
      return Array.isArray(v) ? v : [];
    } catch (e) {
      return [];
    }
  }

  function save(items) {
    try { window.localStorage.setItem(CART_KEY, JSON.stringify(items)); } catch (e) { /* private mode */ }
  }

  function flash(msg) {
    try { window.sessionStorage.setItem(FLASH_KEY, msg); } catch (e) { /* ignore */ }
  }

  function takeFlash() {
    try {
      var m = window.sessionStorage.getItem(FLASH_KEY);
      window.sessionStorage.removeItem(FLASH_KEY);
      return m;
    } catch (e) {
      return null;
    }
  }

  function count(items) {
    return items.reduce(function (n, it) { return n + it.qty; }, 0);
  }

  function updateBadge() {
    var el = document.getElementById("cart-count");
    if (el) el.textContent = String(count(load()));
  }

  function addFromForm(form) {
    var sku = form.elements.sku.value;
    var qty = Math.max(1, parseInt(form.elements.qty ? form.elements.qty.value : "1", 10) || 1);
    var items = load();
    var found = items.filter(function (it) { return it.sku === sku; })[0];
    if (found) {
      found.qty += qty;
    } else {
      items.push({
        sku: sku,
        name: form.getAttribute("data-name") || sku,
        price: parseInt(form.getAttribute("data-price"), 10) || 0,
        qty: qty
      });
    }
    save(items);
    flash("added:" + (form.getAttribute("data-name") || sku));
    // Analytics hook: only if a tag manager put a dataLayer on the page.
    if (window.dataLayer && typeof window.dataLayer.push === "function") {
      window.dataLayer.push({ event: "add_to_cart", sku: sku, qty: qty });
    }
  }

  function el(tag, text, cls) {
    var e = document.createElement(tag);
    if (text !== undefined) e.textContent = text;
    if (cls) e.className = cls;
    return e;
  }

  function renderCart() {
    var body = document.getElementById("cart-items");
    if (!body) return;
    var items = load();
    var totalEl = document.getElementById("cart-total");
    var emptyEl = document.getElementById("cart-empty");
    var checkout = document.getElementById("checkout");
    body.textContent = "";
    var total = 0;
    items.forEach(function (it, i) {
      var tr = document.createElement("tr");
      tr.appendChild(el("td", it.name));
      tr.appendChild(el("td", yen.format(it.price), "num"));
      tr.appendChild(el("td", String(it.qty), "num"));
      tr.appendChild(el("td", yen.format(it.price * it.qty), "num"));
      var td = el("td");
      var rm = el("button", "Remove / 削除", "secondary");
      rm.type = "button";
      rm.addEventListener("click", function () {
        var cur = load();
        cur.splice(i, 1);
        save(cur);
        renderCart();
        updateBadge();
      });
      td.appendChild(rm);
      tr.appendChild(td);
      body.appendChild(tr);
      total += it.price * it.qty;
    });
    if (totalEl) totalEl.textContent = yen.format(total);
    if (emptyEl) emptyEl.hidden = items.length > 0;
    if (checkout) checkout.disabled = items.length === 0;
  }

  function showFlash() {
    var box = document.getElementById("flash");
    if (!box) return;
    var m = takeFlash();
    if (!m) return;
    if (m.indexOf("added:") === 0) {
      box.textContent = "Added to your cart: " + m.slice(6) + " / カートに追加しました";
    } else if (m === "newsletter") {
      box.textContent = "Thank you for subscribing! / ご登録ありがとうございます。";
    } else {
      return;
    }
    box.hidden = false;
  }

  document.addEventListener("submit", function (ev) {
    var form = ev.target;
    if (form.classList.contains("add-to-cart")) addFromForm(form);
    if (form.classList.contains("newsletter")) flash("newsletter");
  });

  document.addEventListener("DOMContentLoaded", function () {
    updateBadge();
    renderCart();
    showFlash();
    var clear = document.getElementById("clear-cart");
    if (clear) {
      clear.addEventListener("click", function () {
        save([]);
        renderCart();
        updateBadge();
      });
    }
    var checkout = document.getElementById("checkout");
    if (checkout) {
      checkout.addEventListener("click", function () {
        window.alert("This is a demo shop — no orders are taken.\nデモサイトのため注文はできません。");
      });
    }
  });
})();
