"""The shared decision fixture (tests/js/fixtures/appeal-decisions.json), from Python.

Node runs the engine file on every case (tests/js/appeals.test.js). Here the same
cases run through the engine as readers get it: inlined by the server into a real
page, under the site's CSP, in Chromium. And the server's JSON must have exactly the
shape the fixture's cases use, or the fixture would pin an engine fed something else.
"""

import json

import pytest
from django.conf import settings

from donations.models import Placement, Readers
from tests.donations.conftest import appeal_data
from tests.factories import AppealFactory, ArticleFactory, CampaignFactory

FIXTURE = settings.BASE_DIR / "tests" / "js" / "fixtures" / "appeal-decisions.json"
CASES = json.loads(FIXTURE.read_text())["cases"]

RUN_CASES = """
cases => cases.map((c) => {
  const result = NewsroomAppeals.pageView(c.state, c.page, c.now, c.seed);
  const choices = {};
  for (const slot of Object.keys(result.choices)) {
    choices[slot] = result.choices[slot].variant;
  }
  return {
    choices,
    state: {
      visits: result.state.visits,
      reads: result.state.reads.length,
      seed: result.state.seed,
    },
  };
})
"""


@pytest.mark.django_db
def test_the_server_sends_rules_in_the_shape_the_fixture_pins(client):
    appeal = AppealFactory(variants=["A", "B"], cap_views=2)
    response = client.get(ArticleFactory().get_absolute_url())
    data = appeal_data(response)
    sent = next(rule for rule in data["appeals"] if rule["id"] == appeal.pk)
    for case in CASES:
        assert set(case["page"]) - {"preview"} == set(data), case["name"]
        for rule in case["page"]["appeals"]:
            assert set(rule) == set(sent), case["name"]
            assert rule["placement"] in Placement.values
            assert rule["readers"] in Readers.values
            for variant in rule["variants"]:
                assert set(variant) == set(sent["variants"][0]), case["name"]
    assert sent["cap"] == [2, 7]


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_every_fixture_case_decides_the_same_in_chromium(live_server, page):
    CampaignFactory()
    page.goto(live_server.url + "/donate/")
    assert page.evaluate("typeof NewsroomAppeals.pageView") == "function"
    outcomes = page.evaluate(RUN_CASES, CASES)
    mismatches = []
    for case, outcome in zip(CASES, outcomes, strict=True):
        if outcome["choices"] != case["expect"]:
            mismatches.append((case["name"], outcome["choices"], case["expect"]))
        for key, value in case.get("expectState", {}).items():
            if outcome["state"][key] != value:
                mismatches.append((case["name"], key, outcome["state"][key], value))
    assert mismatches == []
    assert len(outcomes) == len(CASES) > 40
