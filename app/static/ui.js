// Progressive enhancement only: every feature here also works without JavaScript.
(function () {
  "use strict";
  var FOCUS_KEY = "jippnas-focus";
  document.documentElement.classList.add("js");

  var NARROW = "(max-width: 48rem)";
  var pending = {};

  // One request per purpose at a time: a newer one aborts the stale one. Resolves to
  // ``read(response)``, or null for an error answer; rejects when aborted or offline.
  function latest(purpose, url, read) {
    if (pending[purpose]) pending[purpose].abort();
    pending[purpose] = new AbortController();
    return fetch(url, { signal: pending[purpose].signal })
      .then(function (resp) { return resp.ok ? read(resp) : null; });
  }

  // The search form's state as query parameters (its filters included), without empty
  // values or the page number.
  function formParams(form) {
    var params = new URLSearchParams();
    new FormData(form).forEach(function (value, name) {
      if (value && name !== "page") params.append(name, value);
    });
    return params;
  }

  // On a phone the filters are a sheet: a change only updates the count on its
  // "Tampilkan N hasil" button; the button applies them.
  function previewCount(form) {
    var button = document.querySelector("[data-apply]");
    if (!button) return;
    var params = formParams(form);
    params.set("size", "1");
    latest("count", "/api/v1/search?" + params.toString(), function (r) { return r.json(); })
      .then(function (body) {
        if (body) button.textContent = "Tampilkan " + body.total.toLocaleString("id-ID") + " hasil";
      })
      .catch(function () { /* aborted or offline: the button still applies */ });
  }

  // Filters and sort submit themselves on change; remember which control was used so
  // keyboard users land back on it after the page reloads.
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

  // The search box as an ARIA combobox: suggestions (topics, acronyms, practice titles)
  // from /api/v1/suggest, and on a results page the results and counts follow what is
  // typed. Both are debounced, and a newer keystroke cancels the older requests.
  var KINDS = { topik: "Topik", singkatan: "Singkatan", judul: "Praktik" };
  var DEBOUNCE_MS = 200;

  function setupSearchBox() {
    var box = document.getElementById("q");
    if (!box) return;
    var list = document.createElement("ul");
    list.id = "q-suggestions";
    list.className = "suggest";
    list.setAttribute("role", "listbox");
    list.setAttribute("aria-label", "Saran pencarian");
    list.hidden = true;
    box.insertAdjacentElement("afterend", list);
    box.setAttribute("role", "combobox");
    box.setAttribute("aria-autocomplete", "list");
    box.setAttribute("aria-expanded", "false");
    box.setAttribute("aria-controls", list.id);
    var items = [], active = -1, timer = null;

    function close() {
      list.hidden = true;
      box.setAttribute("aria-expanded", "false");
      box.removeAttribute("aria-activedescendant");
      active = -1;
    }

    function highlight(index) {
      active = index;
      Array.prototype.forEach.call(list.children, function (li, i) {
        li.setAttribute("aria-selected", String(i === index));
      });
      box.setAttribute("aria-activedescendant", "q-suggestion-" + index);
    }

    function render(suggestions) {
      list.textContent = "";
      items = suggestions;
      suggestions.forEach(function (s, i) {
        var li = document.createElement("li");
        li.id = "q-suggestion-" + i;
        li.className = "suggest__item";
        li.setAttribute("role", "option");
        li.setAttribute("aria-selected", "false");
        li.dataset.kind = s.kind;
        li.textContent = s.text;
        if (s.detail) {
          var detail = document.createElement("span");
          detail.className = "suggest__detail";
          detail.textContent = " (" + s.detail + ")";
          li.appendChild(detail);
        }
        var kind = document.createElement("span");
        kind.className = "suggest__kind";
        kind.textContent = KINDS[s.kind];
        li.appendChild(kind);
        li.addEventListener("mousedown", function (event) {
          event.preventDefault();
          location.href = items[i].url;
        });
        list.appendChild(li);
      });
      active = -1;
      list.hidden = !suggestions.length;
      box.setAttribute("aria-expanded", String(suggestions.length > 0));
    }

    function suggest(text) {
      var params = new URLSearchParams({ q: text, size: "8" });
      latest("suggest", "/api/v1/suggest?" + params.toString(), function (r) { return r.json(); })
        .then(function (body) { if (body) render(body.suggestions); })
        .catch(function () { /* aborted by a newer keystroke, or offline */ });
    }

    // Fetch the results page for the form as it stands and swap in its results and
    // filters; the address follows (replaceState), so Back and sharing still work.
    function instant() {
      var layout = document.querySelector(".layout");
      if (!layout || !box.value.trim()) return;
      var url = box.form.getAttribute("action") + "?" + formParams(box.form).toString();
      latest("results", url, function (r) { return r.text(); })
        .then(function (html) {
          if (!html) return;
          var page = new DOMParser().parseFromString(html, "text/html");
          var fresh = page.querySelector(".layout");
          if (!fresh) return;
          document.querySelector(".layout").replaceWith(fresh);
          document.title = page.title;
          history.replaceState(null, "", url);
          var count = fresh.querySelector("#results-title");
          var live = document.querySelector("[data-live]");
          if (count && live) live.textContent = count.textContent.trim();
          showTools();
          collapseOnNarrow();
        })
        .catch(function () { /* aborted by a newer keystroke, or offline */ });
    }

    box.addEventListener("input", function () {
      window.clearTimeout(timer);
      timer = window.setTimeout(function () {
        suggest(box.value);
        instant();
      }, DEBOUNCE_MS);
    });
    box.addEventListener("keydown", function (event) {
      if (list.hidden || !items.length) return;
      if (event.key === "ArrowDown" || event.key === "ArrowUp") {
        event.preventDefault();
        var step = event.key === "ArrowDown" ? 1 : items.length - 1;
        highlight((active + step) % items.length);
      } else if (event.key === "Enter" && active >= 0) {
        event.preventDefault();
        location.href = items[active].url;
      } else if (event.key === "Escape") {
        close();
      }
    });
    box.addEventListener("blur", function () { window.setTimeout(close, 150); });
  }

  document.addEventListener("DOMContentLoaded", function () {
    setupSearchBox();
    showTools();
    collapseOnNarrow();
    restoreFocus();
  });
})();
