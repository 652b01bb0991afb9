/*
 * Live updates for a developing story.
 *
 * The page is complete without this script. With it, the reader sees relative times
 * ("12 minutes ago"), and new updates are announced as "N new updates"; pressing the
 * button inserts them above the list without moving what the reader is looking at.
 * The endpoint is first-party and cacheable (ETag/Last-Modified, short max-age); the
 * update markup comes from the same template fragment as the page.
 */
(function () {
  "use strict";

  var POLL_SECONDS = 30;
  var section = document.getElementById("updates");
  var lang = document.documentElement.lang || undefined;

  function relativeTime(date) {
    var seconds = Math.round((date.getTime() - Date.now()) / 1000);
    if (typeof Intl === "undefined" || !Intl.RelativeTimeFormat) return null;
    var format = new Intl.RelativeTimeFormat(lang, { numeric: "auto" });
    var abs = Math.abs(seconds);
    if (abs < 60) return format.format(0, "second");
    if (abs < 3600) return format.format(Math.round(seconds / 60), "minute");
    if (abs < 86400) return format.format(Math.round(seconds / 3600), "hour");
    return null; // older than a day: the absolute time reads better
  }

  function refreshTimes(root) {
    var times = (root || document).querySelectorAll("time[data-relative]");
    for (var i = 0; i < times.length; i++) {
      var el = times[i];
      if (!el.dataset.absolute) el.dataset.absolute = el.textContent;
      var text = relativeTime(new Date(el.getAttribute("datetime")));
      el.textContent = text || el.dataset.absolute;
      el.title = el.dataset.absolute;
    }
  }

  refreshTimes();
  setInterval(refreshTimes, 60 * 1000);

  if (!section || !section.dataset.pollUrl || !window.fetch) return;

  var list = section.querySelector(".live-updates__list");
  var notice = section.querySelector(".live-updates__notice");
  var since = section.dataset.since || new Date(0).toISOString();
  // Tests poll faster; readers poll every 30 seconds.
  var pollSeconds = window.newsroomPollSeconds || POLL_SECONDS;
  var pending = [];
  var pendingCount = 0;
  var button = null;

  function label(count) {
    var text = count === 1 ? notice.dataset.labelOne : notice.dataset.labelMany;
    return text.replace("{count}", count);
  }

  function showNotice() {
    if (!button) {
      button = document.createElement("button");
      button.type = "button";
      button.className = "live-updates__more";
      button.addEventListener("click", insertPending);
      notice.appendChild(button);
    }
    button.textContent = label(pendingCount);
  }

  // Keep the element the reader is looking at where it is on screen while the new
  // updates go in above it.
  function anchorElement() {
    var items = list.children;
    for (var i = 0; i < items.length; i++) {
      if (items[i].getBoundingClientRect().bottom > 0) return items[i];
    }
    return null;
  }

  function insertPending() {
    var anchor = anchorElement();
    var before = anchor ? anchor.getBoundingClientRect().top : 0;
    var template = document.createElement("template");
    template.innerHTML = pending.join("");
    var first = template.content.querySelector(".update");
    var empty = list.querySelector(".live-updates__empty");
    if (empty) empty.remove();
    list.insertBefore(template.content, list.firstChild);
    refreshTimes(list);
    pending = [];
    pendingCount = 0;
    notice.removeChild(button);
    button = null;
    if (anchor) window.scrollBy(0, anchor.getBoundingClientRect().top - before);
    if (first) {
      // Move keyboard and screen-reader focus to the newest update, without scrolling.
      first.setAttribute("tabindex", "-1");
      first.focus({ preventScroll: true });
    }
  }

  function poll() {
    if (document.hidden) return;
    var url = section.dataset.pollUrl + "?since=" + encodeURIComponent(since);
    fetch(url, { headers: { Accept: "application/json" }, credentials: "omit" })
      .then(function (response) {
        return response.status === 200 ? response.json() : null;
      })
      .then(function (data) {
        if (!data || !data.count) return;
        since = data.latest;
        pending.unshift(data.html);
        pendingCount += data.count;
        showNotice();
      })
      .catch(function () {
        /* offline or server busy: try again at the next tick */
      });
  }

  setInterval(poll, pollSeconds * 1000);
  document.addEventListener("visibilitychange", function () {
    if (!document.hidden) poll();
  });
})();
