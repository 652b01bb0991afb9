"""Keyset pagination's cursors (the pages themselves: test_reader_pages.py)."""

from datetime import UTC, datetime, timedelta, timezone

import pytest

from articles.pagination import Cursor, KeysetPage, PageNotFound


def test_cursor_round_trips_in_utc():
    moment = datetime(
        2024, 3, 10, 8, 5, 0, 123456, tzinfo=timezone(timedelta(hours=-6))
    )
    cursor = Cursor(moment, 42)
    assert str(cursor) == "2024-03-10T14:05:00.123456Z_42"
    parsed = Cursor.parse(str(cursor))
    assert parsed.published_at == moment
    assert parsed.pk == 42


@pytest.mark.parametrize(
    "value",
    [
        "",
        "_",
        "abc",
        "2024-03-10T14:05:00Z",
        "2024-03-10T14:05:00_1",
        "2024-03-10T14:05:00Z_x",
        "2024-03-10T14:05:00Z_0",
        "9999-99-99T00:00:00Z_1",
    ],
)
def test_junk_cursors_are_pages_not_found(value):
    with pytest.raises(PageNotFound):
        Cursor.parse(value)


def test_page_links():
    now = datetime.now(UTC)
    page = KeysetPage([1, 2], newer=Cursor(now, 3), older=None)
    assert page.has_previous() and not page.has_next() and page.has_other_pages()
    assert page.newer_query.startswith("?after=")
    assert page.older_query == ""
    assert len(page) == 2 and list(page) == [1, 2]
