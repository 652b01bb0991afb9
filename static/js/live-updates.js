/*
 * Live updates for a developing story.
 *
 * The page is complete without this script. With it, the reader sees relative times
 * ("12 minutes ago"), and new updates are announced as "N new updates" in a button
 * held at the top of the window (and to screen readers, by the live region it is in),
 * wherever the reader is on the page; the banner's "Latest update" time moves on as
 * they arrive. Pressing the button (or the banner's link) inserts them at the top of
 * the list without moving what the reader is looking at.
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
  var banner = document.querySelector(".live-banner__latest");
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

  // The banner says when the newest update came, and links to it.
  function showLatest(html) {
    if (!banner) return;
    var template = document.createElement("template");
    template.innerHTML = html;
    var newest = template.content.querySelector(".update[id]");
    var time = newest && newest.querySelector("time[datetime]");
    var shown = banner.querySelector("time");
    if (!time || !shown) return;
    banner.querySelector("a").setAttribute("href", "#" + newest.id);
    shown.setAttribute("datetime", time.getAttribute("datetime"));
    shown.setAttribute("data-relative", "");
    shown.dataset.absolute = time.textContent;
    shown.textContent = time.textContent;
    banner.hidden = false;
    refreshTimes(banner);
  }

  // The first update at least partly on screen: what the reader is looking at.
  function anchorElement() {
    var items = list.children;
    for (var i = 0; i < items.length; i++) {
      if (items[i].getBoundingClientRect().bottom > 0) return items[i];
    }
    return null;
  }

  // The new updates go in at the top of the list. When that is above the window,
  // the page is scrolled by what they add, so that what the reader is looking at
  // (an update, or the story below the list) stays where it is on screen.
  function edge(anchor) {
    return anchor
      ? anchor.getBoundingClientRect().top
      : list.getBoundingClientRect().bottom;
  }

  function insertPending() {
    if (!pending.length) return;
    var above = list.getBoundingClientRect().top < 0;
    var below = list.getBoundingClientRect().top > window.innerHeight;
    var anchor = above ? anchorElement() : null;
    var before = edge(anchor);
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
    if (above) window.scrollBy(0, edge(anchor) - before);
    if (first) {
      // Keyboard and screen-reader focus goes to the newest update; the window
      // scrolls to it only from above the list, where the reader was not reading
      // updates yet and asked to see the new ones.
      first.setAttribute("tabindex", "-1");
      first.focus({ preventScroll: !below });
    }
  }

  if (banner) {
    banner.addEventListener("click", function (event) {
      if (event.target.closest("a")) insertPending();
    });
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
        showLatest(data.html);
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
