import json
import re

import pytest

APPEAL_DATA = re.compile(
    r'<script id="appeal-data" type="application/json">(.*?)</script>', re.DOTALL
)


def appeal_data(response):
    """The appeal rules a page hands to its <head> script."""
    return json.loads(APPEAL_DATA.search(response.content.decode())[1])


@pytest.fixture(autouse=True)
def _fresh_cache():
    """The beacon rate limit lives in the cache: every test starts with none used."""
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()
