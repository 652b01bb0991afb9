// The appeal rules engine, run by Node's built-in test runner (node --test tests/js/).
// The decision cases live in fixtures/appeal-decisions.json, which the Python suite
// also runs through the same engine inside Chromium (tests/donations/test_engine.py).
"use strict";
const test = require("node:test");
const assert = require("node:assert/strict");
const engine = require("../../donations/appeal_engine.js");
const fixture = require("./fixtures/appeal-decisions.json");

const DAY = 864e5;
const NOW = Date.UTC(2026, 0, 1);

function summary(choices) {
  const out = {};
  for (const slot of Object.keys(choices)) out[slot] = choices[slot].variant;
  return out;
}

test("the fixture has cases for every rule the issue names", () => {
  const names = fixture.cases.map((c) => c.name).join("\n");
  for (const rule of ["frequency cap", "dismiss", "donor", "buckets", "priority", "schedule"]) {
    assert.match(names, new RegExp(rule), rule);
  }
});

for (const c of fixture.cases) {
  test(`fixture: ${c.name}`, () => {
    const result = engine.pageView(c.state, c.page, c.now, c.seed);
    assert.deepEqual(summary(result.choices), c.expect);
    const state = result.state;
    const seen = { visits: state.visits, reads: state.reads.length, seed: state.seed };
    for (const key of Object.keys(c.expectState || {})) {
      assert.equal(seen[key], c.expectState[key], key);
    }
  });
}

function ab(weights) {
  return {
    id: 5, placement: "end", priority: 0, weight: 1, starts: NOW - DAY, ends: null,
    cap: null, dismissDays: 30, hideFromDonors: true, minReads: 0, readers: "all",
    variants: weights.map((weight, i) => ({ id: 50 + i, weight, n: i + 1 })),
  };
}

test("variants are shared by weight across many readers", () => {
  const counts = { 50: 0, 51: 0 };
  const readers = 20000;
  for (let i = 0; i < readers; i++) {
    const { choices } = engine.pageView({ seed: `seed-${i}` }, { appeals: [ab([1, 3])] }, NOW);
    counts[choices.end.variant] += 1;
  }
  assert.ok(Math.abs(counts[50] / readers - 0.25) < 0.02, JSON.stringify(counts));
});

test("a reader keeps their variant as their state grows", () => {
  for (let i = 0; i < 200; i++) {
    let state = { seed: `stable-${i}` };
    const first = engine.pageView(state, { article: 1, appeals: [ab([1, 1])] }, NOW);
    state = first.state;
    for (let day = 1; day < 20; day += 3) {
      state = engine.recordView(state, "5", NOW + day * DAY - 1);
      const later = engine.pageView(state, { article: day + 1, appeals: [ab([1, 1])] }, NOW + day * DAY);
      assert.equal(later.choices.end.variant, first.choices.end.variant);
      state = later.state;
    }
  }
});

test("a new reader gets a seed, and keeps it", () => {
  const first = engine.pageView(null, { appeals: [] }, NOW, "abc");
  assert.equal(first.state.seed, "abc");
  const second = engine.pageView(first.state, { appeals: [] }, NOW + 1000, "other");
  assert.equal(second.state.seed, "abc");
});

test("recording views reaches the frequency cap", () => {
  const appeal = { ...ab([1]), cap: [2, 7] };
  let state = engine.pageView({ seed: "s" }, { appeals: [appeal] }, NOW).state;
  assert.equal(engine.reason(appeal, state, NOW), "");
  state = engine.recordView(engine.recordView(state, 5, NOW), 5, NOW + 1);
  assert.equal(engine.reason(appeal, state, NOW + 2), "capped");
  assert.equal(engine.reason(appeal, state, NOW + 8 * DAY), "");
});

test("a dismissal lasts the appeal's dismissal period", () => {
  const appeal = { ...ab([1]), dismissDays: 7 };
  const state = engine.recordDismissal({}, appeal, NOW);
  assert.equal(engine.reason(appeal, state, NOW + 7 * DAY - 1), "dismissed");
  assert.equal(engine.reason(appeal, state, NOW + 7 * DAY), "");
});

test("a donor is not asked for a year", () => {
  const appeal = ab([1]);
  const state = engine.markDonor({}, NOW);
  assert.equal(engine.reason(appeal, state, NOW + 364 * DAY), "donor");
  assert.equal(engine.reason(appeal, state, NOW + 366 * DAY), "");
});

test("stored state stays small: old views and expired dismissals are dropped", () => {
  const state = {
    seed: "s",
    views: { 5: [NOW - 400 * DAY, NOW - DAY], 6: [NOW - 500 * DAY] },
    dismissed: { 5: NOW - 1, 6: NOW + DAY },
    reads: Array.from({ length: 300 }, (_, i) => [i, NOW - 1000 - i]),
  };
  const next = engine.pageView(state, { article: 999, appeals: [] }, NOW).state;
  assert.deepEqual(next.views, { 5: [NOW - DAY] });
  assert.deepEqual(next.dismissed, { 6: NOW + DAY });
  assert.equal(next.reads.length, 200);
  assert.deepEqual(next.reads[next.reads.length - 1], [999, NOW]);
});

test("shown() lists the page numbers of the chosen variants", () => {
  const page = {
    appeals: [{ ...ab([1]), placement: "top" }, { ...ab([0, 1]), id: 6, placement: "end" }],
  };
  const { choices } = engine.pageView({ seed: "x" }, page, NOW);
  assert.deepEqual(engine.shown(choices).sort(), [1, 2]);
});

test("the hash spreads evenly over [0, 1)", () => {
  const buckets = new Array(10).fill(0);
  for (let i = 0; i < 10000; i++) {
    const value = engine.hash(`r${i}|appeal|7`);
    assert.ok(value >= 0 && value < 1);
    buckets[Math.floor(value * 10)] += 1;
  }
  for (const count of buckets) assert.ok(count > 900 && count < 1100, String(buckets));
});

test("the engine file is ASCII, so its CSP hash is the same in every encoding", () => {
  const fs = require("node:fs");
  const path = require("node:path");
  const text = fs.readFileSync(path.join(__dirname, "../../donations/appeal_engine.js"));
  assert.ok(text.every((byte) => byte < 128));
});
