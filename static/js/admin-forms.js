// Admin forms that do not lose or hide work (loaded on every admin page by
// templates/admin/base_site.html):
// - a warning before leaving a change form with unsaved changes, including changes
//   made in a CKEditor 5 editor, which writes its textarea only when the form is sent;
// - one-line boxes (headline, dek) that take no line breaks and count characters.
(function () {
  "use strict";

  // The admin's JavaScript catalog (jsi18n) is on every change form; elsewhere the
  // words stay as written.
  var gettext = window.gettext || function (text) { return text; };
  var interpolate =
    window.interpolate ||
    function (text, values) {
      return values.reduce(function (out, value) { return out.replace("%s", value); }, text);
    };

  function counters() {
    document.querySelectorAll("textarea[data-counter]").forEach(function (box) {
      var limit = parseInt(box.getAttribute("maxlength"), 10);
      var count = document.createElement("span");
      count.className = "char-count";
      count.id = box.id + "_count";
      box.setAttribute(
        "aria-describedby",
        ((box.getAttribute("aria-describedby") || "") + " " + count.id).trim()
      );
      // Whitespace is collapsed on save, so the count does the same.
      function show() {
        var used = box.value.split(/\s+/).join(" ").trim().length;
        count.textContent = limit
          ? interpolate(gettext("%s of %s characters"), [used, limit])
          : interpolate(gettext("%s characters"), [used]);
        count.classList.toggle("char-count--over", !!limit && used >= limit);
      }
      box.addEventListener("input", show);
      box.insertAdjacentElement("afterend", count);
      show();
    });
    document.querySelectorAll("textarea.one-line").forEach(function (box) {
      box.addEventListener("keydown", function (event) {
        if (event.key === "Enter") event.preventDefault();
      });
    });
  }

  function unsavedChangesWarning() {
    if (!document.body.classList.contains("change-form")) return;
    var form = document.querySelector("#content-main form[id$='_form']");
    if (!form) return;
    // A form sent back with errors holds changes that were not saved.
    var changed = !!document.querySelector(".errornote");
    var leaving = false;
    function arm(event) {
      // Choosing a date or time with the admin's widgets, or adding an inline row,
      // also fires these events; the hidden edit counters never do.
      if (event && event.target && event.target.type === "hidden") return;
      changed = true;
    }
    form.addEventListener("input", arm);
    form.addEventListener("change", arm);

    // CKEditor 5 keeps its text in its own model: hook each editor's change:data
    // as soon as it exists (it is made after this script runs).
    var hooked = new WeakSet();
    function hookEditors() {
      form.querySelectorAll(".ck-editor__editable").forEach(function (element) {
        var editor = element.ckeditorInstance;
        if (!editor || hooked.has(editor)) return;
        hooked.add(editor);
        editor.model.document.on("change:data", function (event, batch) {
          // Loading the text into the editor is a change too, but not the user's.
          if (editor.state !== "ready" || (batch && batch.isUndoable === false)) return;
          changed = true;
        });
      });
    }
    hookEditors();
    new MutationObserver(hookEditors).observe(form, { childList: true, subtree: true });
    form.addEventListener("focusin", hookEditors);

    form.addEventListener("submit", function () {
      leaving = true;
    });
    window.addEventListener("beforeunload", function (event) {
      if (!changed || leaving) return;
      event.preventDefault();
      event.returnValue = "";
    });
  }

  function start() {
    counters();
    unsavedChangesWarning();
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
