// Progressive enhancement only: every feature here also works without JavaScript.
(function () {
  "use strict";
  var FOCUS_KEY = "jippnas-focus";
  document.documentElement.classList.add("js");

  // Filters and sort submit themselves on change; remember which control was used so
  // keyboard users land back on it after the page reloads.
  document.addEventListener("change", function (event) {
    var control = event.target;
    if (!control.form || !control.closest("[data-autosubmit]")) return;
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

  // On narrow screens the filter panel starts collapsed so results come first.
  function collapseOnNarrow() {
    if (!window.matchMedia("(max-width: 48rem)").matches) return;
    document.querySelectorAll("details[data-collapse-narrow]").forEach(function (d) {
      d.open = false;
    });
  }

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
