"""A breaking-news surge for `make bench`: readers spread over 1,000 pages with the
popularity real sites see (a few pages take most of the traffic, a long tail gets a
reader now and then: Zipf's law), while a developing story gets a new update every
10 seconds, which makes every page the page cache holds stale, as in production.

The pure parts (the URL list, its weights, the wrk script) are tested in
tests/test_bench.py; bench/run.py runs them.
"""

import json
from itertools import zip_longest


def zipf_weights(count, exponent=1.0):
    """How often the page of each rank is asked for, as fractions adding up to 1:
    the page of rank k in proportion to 1 / k^exponent."""
    raw = [1 / rank**exponent for rank in range(1, count + 1)]
    total = sum(raw)
    return [weight / total for weight in raw]


def reader_urls(first, *kinds, count=1000):
    """`count` distinct paths in order of popularity: `first` (the front page, the
    developing story...) ahead, then the other kinds of page taken in turn (the
    newest story, the first section, the first tag... then the second of each),
    so stories, sections, tags, authors and page 2s are all spread along the tail.
    Each kind is given most popular first."""
    urls = list(dict.fromkeys(first))
    seen = set(urls)
    for row in zip_longest(*kinds):
        for url in row:
            if url is not None and url not in seen:
                seen.add(url)
                urls.append(url)
    if len(urls) < count:
        raise ValueError(f"only {len(urls)} distinct pages for {count} readers' URLs")
    return urls[:count]


LUA = """\
-- wrk script written by bench/surge.py: each request asks for one of {count}
-- reader pages, chosen with a Zipf-like popularity (cumulative weights below).
local paths = {paths}
local cumulative = {cumulative}
local threads = 0

function setup(thread)
  threads = threads + 1
  thread:set("id", threads)
end

function init(args)
  -- Each wrk thread has its own Lua state: a seed each, or every thread would
  -- ask for the same pages in the same order.
  math.randomseed({seed} + id)
end

local function pick()
  local r = math.random()
  local low, high = 1, #cumulative
  while low < high do
    local middle = math.floor((low + high) / 2)
    if cumulative[middle] < r then low = middle + 1 else high = middle end
  end
  return paths[low]
end

function request()
  return wrk.format("GET", pick())
end
"""


def lua_table(values):
    # JSON strings and numbers are valid Lua literals; only the brackets differ.
    return "{" + ", ".join(json.dumps(value) for value in values) + "}"


def wrk_script(urls, weights, seed=1):
    """The Lua source of a wrk script asking for `urls` with these weights."""
    if len(urls) != len(weights) or not urls:
        raise ValueError("one weight for each URL")
    cumulative, total = [], 0.0
    for weight in weights:
        total += weight
        cumulative.append(round(total, 9))
    cumulative[-1] = 1.0  # math.random() < 1: the last page always catches it
    return LUA.format(
        count=len(urls),
        paths=lua_table(urls),
        cumulative=lua_table(cumulative),
        seed=int(seed),
    )


# Run with `manage.py shell -c` in the cached site's settings (its Redis), so an
# update is saved the way the admin saves one and moves the page cache's generation
# on as in production.
UPDATER = """\
import time
from django.utils import timezone
from articles.models import Article, Update
story = Article.objects.get(pk={pk})
number = 0
while True:
    number += 1
    Update.objects.create(
        article=story,
        headline=f"{prefix}{{number}}",
        body=f"<p>The {{number}}th thing we learned in this surge.</p>",
        published_at=timezone.now(),
    )
    print(f"update {{number}} posted", flush=True)
    time.sleep({every})
"""

# The updates the surge posted, deleted after it, so the next run reads the same
# story.
CLEANUP = """\
from articles.models import Update
Update.objects.filter(article_id={pk}, headline__startswith="{prefix}").delete()
"""

PREFIX = "Bench surge: update "


def updater_code(story_pk, every=10):
    return UPDATER.format(pk=int(story_pk), every=float(every), prefix=PREFIX)


def cleanup_code(story_pk):
    return CLEANUP.format(pk=int(story_pk), prefix=PREFIX)
