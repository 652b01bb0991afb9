/* Donation appeals after first paint: count what readers see and do, in aggregate.
 *
 * The inline script in <head> (donations/appeal_engine.js) has already chosen what
 * each slot shows and left its engine on window.NewsroomAppeals. This file:
 * - sends an impression when at least half of a shown appeal has been visible for a
 *   second, and remembers it in localStorage for the frequency cap;
 * - sends a click when a reader follows an appeal's link;
 * - dismisses an appeal (remembered for its dismissal period, then counted);
 * - remembers a donor ("I already give", or the thank-you page) for a year;
 * - refreshes campaign progress bars from their small cached JSON.
 * Beacons carry only the event, the appeal and the variant: no id of the reader.
 * Nothing is sent from previews; the server also ignores signed-in staff.
 */
(function () {
  "use strict";
  var engine = window.NewsroomAppeals;
  if (!engine) return;
  var doc = document;
  var root = doc.documentElement;
  var page = engine.page || { appeals: [] };
  /* Previews (an appeal's, a draft's, a signed link's) show appeals as readers
   * would get them, and count and remember nothing. */
  var counting = !page.preview && page.counting !== false;
  var rules = {};
  (page.appeals || []).forEach(function (appeal) { rules[appeal.id] = appeal; });

  function send(event, element) {
    if (!counting || !page.beacon || !navigator.sendBeacon) return;
    var body = JSON.stringify({
      event: event,
      appeal: Number(element.getAttribute("data-appeal")),
      variant: Number(element.getAttribute("data-variant"))
    });
    try {
      navigator.sendBeacon(page.beacon, body);
    } catch (e) { /* counting must never break the page */ }
  }

  function shownNumbers() {
    return (root.getAttribute("data-appeals") || "").split(" ").filter(Boolean);
  }

  function hide(element) {
    var n = element.getAttribute("data-appeal-n");
    var focused = element.contains(doc.activeElement);
    root.setAttribute("data-appeals", shownNumbers().filter(function (v) { return v !== n; }).join(" "));
    if (focused) {
      var main = doc.getElementById("main");
      if (main) main.focus({ preventScroll: true });
    }
  }

  function update(change) {
    if (!counting) return;
    engine.save(change(engine.load(), Date.now()));
  }

  function shownAppeals() {
    return shownNumbers().map(function (n) {
      return doc.querySelector('.appeal[data-appeal-n="' + n + '"]');
    }).filter(Boolean);
  }

  function watch(element) {
    var id = element.getAttribute("data-appeal");
    var timer = null;
    var counted = false;
    function impression() {
      if (counted) return;
      counted = true;
      observer.disconnect();
      update(function (state, now) { return engine.recordView(state, id, now); });
      send("impression", element);
    }
    var observer = new IntersectionObserver(function (entries) {
      var visible = entries[entries.length - 1].intersectionRatio >= 0.5;
      if (visible && !timer) timer = setTimeout(impression, 1000);
      if (!visible && timer) {
        clearTimeout(timer);
        timer = null;
      }
    }, { threshold: [0, 0.5, 1] });
    observer.observe(element);
  }

  function wire(element) {
    if (window.IntersectionObserver) watch(element);
    element.addEventListener("click", function (event) {
      var target = event.target.closest("[data-appeal-click], [data-appeal-dismiss], [data-appeal-donor]");
      if (!target) return;
      if (target.hasAttribute("data-appeal-click")) {
        send("click", element);
      } else if (target.hasAttribute("data-appeal-dismiss")) {
        dismiss(element);
      } else {
        update(engine.markDonor);
        shownAppeals().forEach(function (shown) {
          var appeal = rules[shown.getAttribute("data-appeal")];
          if (!appeal || appeal.hideFromDonors) hide(shown);
        });
      }
    });
  }

  function dismiss(element) {
    var appeal = rules[element.getAttribute("data-appeal")];
    if (appeal) {
      update(function (state, now) { return engine.recordDismissal(state, appeal, now); });
    }
    send("dismiss", element);
    hide(element);
  }

  shownAppeals().forEach(wire);

  doc.addEventListener("keydown", function (event) {
    if (event.key !== "Escape") return;
    var overlay = doc.activeElement && doc.activeElement.closest(".appeal--overlay");
    if (overlay) dismiss(overlay);
  });

  if (doc.querySelector("[data-donor-thanks]")) update(engine.markDonor);

  /* Progress bars in cached pages catch up with the ledger. */
  var fetched = {};
  Array.prototype.forEach.call(doc.querySelectorAll("[data-progress-url]"), function (box) {
    if (!box.offsetParent && !box.closest(".appeal--overlay")) return;
    var url = box.getAttribute("data-progress-url");
    fetched[url] = fetched[url] || fetch(url, { credentials: "omit" }).then(function (response) {
      return response.ok ? response.json() : null;
    }).catch(function () { return null; });
    fetched[url].then(function (data) {
      if (!data) return;
      var fill = box.querySelector("[data-progress-fill]");
      if (fill) fill.setAttribute("width", data.percent.toFixed(2));
      var pace = box.querySelector("[data-progress-pace]");
      if (pace && data.expected_percent !== null) {
        pace.setAttribute("x1", data.expected_percent.toFixed(2));
        pace.setAttribute("x2", data.expected_percent.toFixed(2));
      }
      replaceTexts(box, {
        "[data-progress-raised]": data.raised_display,
        "[data-progress-donors]": data.donors_display,
        "[data-progress-pace-note]": data.pace_note
      });
    });
  });

  /* Each figure changes in place only if it takes the same room as before: a wider
   * sum, "9 donors" to "10 donors" or a pace note in other words would move the
   * words after it, or wrap onto another line and push the story or the bottom
   * sheet, while the reader reads. The bar above always moves; the page's next
   * render has the new words. */
  function replaceTexts(box, texts) {
    Object.keys(texts).forEach(function (selector) {
      var element = box.querySelector(selector);
      if (!element || !texts[selector]) return;
      var text = element.textContent;
      var room = footprint(element);
      element.textContent = texts[selector];
      if (footprint(element) !== room) element.textContent = text;
    });
  }

  function footprint(element) {
    var range = doc.createRange();
    range.selectNodeContents(element);
    return Array.prototype.map.call(range.getClientRects(), function (rect) {
      return [rect.left, rect.top, rect.width, rect.height].join();
    }).join(" ");
  }
})();
