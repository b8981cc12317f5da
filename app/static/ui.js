// Progressive enhancement only: every feature here also works without JavaScript.
(function () {
  "use strict";
  var FOCUS_KEY = "jippnas-focus";
  document.documentElement.classList.add("js");

  // Filters and sort submit themselves on change; remember which control was used so
  // keyboard users land back on it after the page reloads.
  var NARROW = "(max-width: 48rem)";
  var counting = null;

  // On a phone the filters are a sheet: a change only updates the count on its
  // "Tampilkan N hasil" button (a stale request is cancelled); the button applies them.
  function previewCount(form) {
    var button = document.querySelector("[data-apply]");
    if (!button) return;
    var params = new URLSearchParams();
    new FormData(form).forEach(function (value, name) {
      if (value && name !== "page") params.append(name, value);
    });
    params.set("size", "1");
    if (counting) counting.abort();
    counting = new AbortController();
    fetch("/api/v1/search?" + params.toString(), { signal: counting.signal })
      .then(function (resp) { return resp.ok ? resp.json() : null; })
      .then(function (body) {
        if (body) button.textContent = "Tampilkan " + body.total.toLocaleString("id-ID") + " hasil";
      })
      .catch(function () { /* aborted or offline: the button still applies */ });
  }

  document.addEventListener("change", function (event) {
    var control = event.target;
    if (!control.form || !control.closest("[data-autosubmit]")) return;
    if (control.closest(".filters") && window.matchMedia(NARROW).matches) {
      previewCount(control.form);
      return;
    }
    try {
      sessionStorage.setItem(FOCUS_KEY, control.name + "=" + control.value);
    } catch (e) { /* storage may be disabled */ }
    control.form.requestSubmit();
  });

  function restoreFocus() {
    var key;
    try {
      key = sessionStorage.getItem(FOCUS_KEY);
      sessionStorage.removeItem(FOCUS_KEY);
    } catch (e) { return; }
    if (!key) return;
    var split = key.indexOf("=");
    var name = key.slice(0, split), value = key.slice(split + 1);
    var controls = document.querySelectorAll("[data-autosubmit] [name]");
    for (var i = 0; i < controls.length; i++) {
      var c = controls[i];
      if (c.name === name && (c.type !== "checkbox" && c.type !== "radio" || c.value === value)) {
        c.focus();
        return;
      }
    }
  }

  // On narrow screens the filter panel starts collapsed so results come first, and its
  // button says how many results the chosen filters give.
  function collapseOnNarrow() {
    if (!window.matchMedia(NARROW).matches) return;
    document.querySelectorAll("details[data-collapse-narrow]").forEach(function (d) {
      d.open = false;
    });
    var button = document.querySelector("[data-apply]");
    var total = document.querySelector("[data-total]");
    if (button && total) {
      button.textContent = "Tampilkan " + Number(total.dataset.total).toLocaleString("id-ID") + " hasil";
    }
  }

  // A search field over a long facet list shows only the values that contain its text
  // (the ones behind "show more" too).
  function findInFacet(field) {
    var facet = field.closest("[data-facet]");
    var text = field.value.trim().toLowerCase();
    var shown = 0;
    facet.querySelectorAll("[data-facet-option]").forEach(function (item) {
      var match = item.dataset.facetOption.indexOf(text) !== -1;
      item.hidden = !match;
      if (match) shown++;
    });
    facet.querySelectorAll("[data-facet-heading]").forEach(function (h) { h.hidden = !!text; });
    var more = facet.querySelector("[data-facet-more]");
    if (more && text) more.open = true;
    facet.querySelector("[data-facet-none]").hidden = shown > 0;
  }

  // "Saring hasil" above the results opens the filter sheet (without JavaScript it is a
  // link down to the panel).
  document.addEventListener("click", function (event) {
    if (!event.target.closest("[data-open-filters]")) return;
    var panel = document.querySelector("details[data-collapse-narrow]");
    if (!panel) return;
    event.preventDefault();
    panel.open = true;
    panel.querySelector("summary").focus();
  });

  document.addEventListener("input", function (event) {
    if (event.target.matches("[data-facet-find]")) findInFacet(event.target);
  });

  // Empty values make URLs noisy (q=&digital=); leave them out of the submitted query.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    Array.prototype.forEach.call(form.elements, function (el) {
      if (el.name && !el.value && !el.disabled) el.disabled = true;
    });
    window.setTimeout(function () {
      Array.prototype.forEach.call(form.elements, function (el) { el.disabled = false; });
    }, 0);
  });

  // "Back to search" returns to the very results the user came from when it can.
  document.addEventListener("click", function (event) {
    var link = event.target.closest("[data-history-back]");
    if (!link || !document.referrer) return;
    var from = new URL(document.referrer);
    if (from.origin === location.origin && from.pathname === link.pathname) {
      event.preventDefault();
      history.back();
    }
  });

  // Copy-link and print buttons exist only where they can work: with JavaScript (and,
  // for copying, the clipboard API, which needs a secure context).
  function showTools() {
    document.querySelectorAll("[data-facet-find]").forEach(function (field) {
      field.hidden = false;
    });
    document.querySelectorAll("[data-copy-link]").forEach(function (button) {
      if (navigator.clipboard) button.hidden = false;
    });
    document.querySelectorAll("[data-print]").forEach(function (button) {
      button.hidden = false;
    });
  }

  document.addEventListener("click", function (event) {
    var copy = event.target.closest("[data-copy-link]");
    var status = document.querySelector("[data-copy-status]");
    if (copy) {
      navigator.clipboard.writeText(location.href).then(function () {
        status.textContent = "Tautan disalin.";
      }, function () {
        status.textContent = "Tautan tidak dapat disalin; salin dari bilah alamat.";
      });
    }
    if (event.target.closest("[data-print]")) window.print();
  });

  document.addEventListener("DOMContentLoaded", function () {
    showTools();
    collapseOnNarrow();
    restoreFocus();
  });
})();
