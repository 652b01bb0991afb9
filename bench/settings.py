"""The production settings, plus a baseline view to compare pages with (bench/urls.py).
Used only by `make bench` (bench/run.py)."""

from newsroom.settings import *  # noqa: F403

ROOT_URLCONF = "bench.urls"
