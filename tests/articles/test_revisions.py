"""Comparing revisions (articles.revisions): every editorial field an editor can
change shows in the comparison when it changed."""

import pytest
import reversion
from reversion.models import Version

from articles import revisions
from articles.models import EDITORIAL_FIELDS, Article
from tests.factories import ArticleFactory, SectionFactory

pytestmark = pytest.mark.django_db


def saved_twice(article, **changes):
    with reversion.create_revision():
        article.save()
    for name, value in changes.items():
        setattr(article, name, value)
    with reversion.create_revision():
        article.save()
    return list(Version.objects.get_for_object(article).order_by("pk"))


def test_compare_shows_a_change_of_section():
    """Versions keep a foreign key by attribute name (section_id): the comparison
    read it by field name and never saw a new section."""
    article = ArticleFactory(section=SectionFactory(name="City"))
    old, new = saved_twice(article, section=SectionFactory(name="Schools"))

    changes = dict(revisions.compare(old, new))

    assert list(changes) == ["Section"]
    assert changes["Section"] == "<del>City</del><ins>Schools</ins>"


def test_every_editorial_field_is_compared():
    assert set(EDITORIAL_FIELDS) <= set(revisions.COMPARED_FIELDS)
    for name in EDITORIAL_FIELDS:
        assert Article._meta.get_field(name).editable
