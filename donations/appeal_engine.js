/* Newsroom donation appeals: which appeal each slot shows, decided before first paint.
 * Inlined in <head> by {% appeal_head %} and allowed by the CSP hash of this file's
 * exact text (newsroom/settings.py), so a page cached for every reader stays valid.
 * Reader state stays in this browser's localStorage; nothing here is sent anywhere.
 * Node's tests load the same file (module.exports); its behaviour is pinned by
 * tests/js/fixtures/appeal-decisions.json. Keep it ASCII and dependency-free. */
(function (root) {
  "use strict";
  var KEY = "newsroom:appeals";
  var DAY = 864e5;
  var VISIT_GAP = 18e5; /* 30 minutes without a page view ends a visit */
  var READ_DAYS = 30;
  var KEEP_DAYS = 365;
  var DONOR_DAYS = 365;
  var MAX_READS = 200;
  var MAX_VIEWS = 100;

  function num(value) {
    return typeof value === "number" && isFinite(value) && value > 0 ? value : 0;
  }

  function times(list) {
    return Array.isArray(list) ? list.filter(function (t) { return num(t) > 0; }) : [];
  }

  /* A copy of whatever was stored, with every field checked: storage is input. */
  function clean(state) {
    var s = state && typeof state === "object" ? state : {};
    var out = {
      seed: typeof s.seed === "string" ? s.seed.slice(0, 64) : "",
      visits: Math.floor(num(s.visits)),
      last: num(s.last),
      reads: [],
      views: {},
      dismissed: {},
      donorUntil: num(s.donorUntil)
    };
    if (Array.isArray(s.reads)) {
      s.reads.forEach(function (r) {
        if (Array.isArray(r) && r.length === 2 && num(r[1])) out.reads.push([r[0], r[1]]);
      });
    }
    if (s.views && typeof s.views === "object") {
      Object.keys(s.views).forEach(function (id) { out.views[id] = times(s.views[id]); });
    }
    if (s.dismissed && typeof s.dismissed === "object") {
      Object.keys(s.dismissed).forEach(function (id) {
        if (num(s.dismissed[id])) out.dismissed[id] = s.dismissed[id];
      });
    }
    return out;
  }

  /* A number in [0, 1) from a string: FNV-1a with a murmur3 finaliser. */
  function hash(text) {
    var h = 0x811c9dc5;
    for (var i = 0; i < text.length; i++) {
      h ^= text.charCodeAt(i);
      h = Math.imul(h, 0x01000193);
    }
    h ^= h >>> 16;
    h = Math.imul(h, 0x85ebca6b);
    h ^= h >>> 13;
    h = Math.imul(h, 0xc2b2ae35);
    h ^= h >>> 16;
    return (h >>> 0) / 4294967296;
  }

  function pick(items, fraction) {
    var total = 0;
    var i;
    for (i = 0; i < items.length; i++) total += num(items[i].weight);
    if (!total) return null;
    var point = fraction * total;
    for (i = 0; i < items.length; i++) {
      point -= num(items[i].weight);
      if (point < 0 && num(items[i].weight)) return items[i];
    }
    return null;
  }

  function viewsWithin(state, id, now, days) {
    return (state.views[id] || []).filter(function (t) { return t > now - days * DAY; }).length;
  }

  /* Why an appeal is not for this reader now, or "" when it is. */
  function reason(appeal, state, now) {
    if (appeal.starts && now < appeal.starts) return "not-started";
    if (appeal.ends && now >= appeal.ends) return "ended";
    if (appeal.hideFromDonors && state.donorUntil > now) return "donor";
    if ((state.dismissed[appeal.id] || 0) > now) return "dismissed";
    if (appeal.cap && viewsWithin(state, appeal.id, now, appeal.cap[1]) >= appeal.cap[0]) return "capped";
    if (state.reads.length < (appeal.minReads || 0)) return "reads";
    if (appeal.readers === "new" && state.visits > 1) return "returning-reader";
    if (appeal.readers === "returning" && state.visits < 2) return "new-reader";
    return "";
  }

  function byId(a, b) { return a.id - b.id; }

  /* One appeal per slot: the highest priority among those this reader may see,
   * shared by weight when several tie; then one of its variants by weight. Both
   * draws hash the reader's seed, so a reader keeps the same appeal and variant. */
  function decide(appeals, state, now) {
    var slots = {};
    var choices = {};
    (appeals || []).forEach(function (appeal) {
      if (reason(appeal, state, now)) return;
      if (!appeal.variants || !pick(appeal.variants, 0)) return;
      (slots[appeal.placement] = slots[appeal.placement] || []).push(appeal);
    });
    Object.keys(slots).forEach(function (slot) {
      var top = Math.max.apply(null, slots[slot].map(function (a) { return a.priority || 0; }));
      var tied = slots[slot].filter(function (a) { return (a.priority || 0) === top; }).sort(byId);
      var appeal = pick(tied, hash(state.seed + "|slot|" + slot)) || tied[0];
      var variant = pick(appeal.variants.slice().sort(byId), hash(state.seed + "|appeal|" + appeal.id));
      choices[slot] = { appeal: appeal.id, variant: variant.id, n: variant.n };
    });
    return choices;
  }

  /* What the <head> script does on every page: count the visit and the article
   * read, forget what is too old to matter, then decide. */
  function pageView(stored, page, now, seed) {
    var state = clean(stored);
    if (!state.seed) state.seed = String(seed || now);
    if (!state.last || now - state.last >= VISIT_GAP) state.visits += 1;
    state.last = Math.max(state.last, now);
    state.reads = state.reads.filter(function (r) { return r[1] > now - READ_DAYS * DAY; });
    var article = page && page.article;
    if (article && !state.reads.some(function (r) { return r[0] === article; })) {
      state.reads.push([article, now]);
    }
    state.reads = state.reads.slice(-MAX_READS);
    Object.keys(state.views).forEach(function (id) {
      state.views[id] = state.views[id].filter(function (t) { return t > now - KEEP_DAYS * DAY; });
      if (!state.views[id].length) delete state.views[id];
    });
    Object.keys(state.dismissed).forEach(function (id) {
      if (state.dismissed[id] <= now) delete state.dismissed[id];
    });
    var choices = page && page.preview ? { preview: page.preview } : decide(page && page.appeals, state, now);
    return { state: state, choices: choices };
  }

  function recordView(stored, id, now) {
    var state = clean(stored);
    state.views[id] = (state.views[id] || []).concat([now]).slice(-MAX_VIEWS);
    return state;
  }

  function recordDismissal(stored, appeal, now) {
    var state = clean(stored);
    state.dismissed[appeal.id] = now + num(appeal.dismissDays) * DAY;
    return state;
  }

  function markDonor(stored, now) {
    var state = clean(stored);
    state.donorUntil = now + DONOR_DAYS * DAY;
    return state;
  }

  function load() {
    try {
      return clean(JSON.parse(root.localStorage.getItem(KEY) || "{}"));
    } catch (e) {
      return clean({});
    }
  }

  function save(state) {
    try {
      root.localStorage.setItem(KEY, JSON.stringify(state));
    } catch (e) { /* storage full or refused: decide afresh next time */ }
  }

  function shown(choices) {
    return Object.keys(choices).map(function (slot) { return choices[slot].n; });
  }

  var api = {
    KEY: KEY, clean: clean, hash: hash, pick: pick, reason: reason, decide: decide,
    pageView: pageView, recordView: recordView, recordDismissal: recordDismissal,
    markDonor: markDonor, load: load, save: save, shown: shown
  };
  if (typeof module === "object" && module.exports) {
    module.exports = api;
    return;
  }
  root.NewsroomAppeals = api;
  var doc = root.document;
  var page = { appeals: [] };
  try {
    page = JSON.parse(doc.getElementById("appeal-data").textContent);
  } catch (e) { /* a page without appeal slots */ }
  var seed = "";
  try {
    seed = Array.prototype.join.call(root.crypto.getRandomValues(new Uint32Array(2)), "-");
  } catch (e) {
    seed = String(Math.random()).slice(2);
  }
  var result = pageView(load(), page, Date.now(), seed);
  if (!page.preview && page.counting !== false) save(result.state);
  api.page = page;
  api.choices = result.choices;
  doc.documentElement.setAttribute("data-appeals", shown(result.choices).join(" "));
})(this);
