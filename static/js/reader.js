// Copy buttons for the republish page. Without JavaScript the fields are still
// there to select and copy by hand; the buttons only appear when they can work.
(function () {
  "use strict";
  var status = document.querySelector(".copy-status");
  document.querySelectorAll("[data-copy]").forEach(function (button) {
    var field = document.getElementById(button.getAttribute("data-copy"));
    if (!field) return;
    button.hidden = false;
    button.addEventListener("click", function () {
      field.focus();
      field.select();
      var done = function () {
        if (status) status.textContent = button.getAttribute("data-done") || "Copied.";
      };
      if (navigator.clipboard && navigator.clipboard.writeText) {
        navigator.clipboard.writeText(field.value).then(done, function () {
          if (document.execCommand("copy")) done();
        });
      } else if (document.execCommand("copy")) {
        done();
      }
    });
  });
})();
