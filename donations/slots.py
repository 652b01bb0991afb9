"""
The appeals of one page: every appeal that may show there, numbered in page order.

A page is the same for every reader, so it carries all its candidates, hidden, with
their rules as data in <head>; the inline script in appeal_engine.js picks one per
slot and writes the chosen numbers on <html> (data-appeals="2 5"), and donations.css
shows exactly those, in the first frame. Numbers rather than ids keep that CSS static:
it has one rule per position up to MAX_CANDIDATES (a test checks the two agree).
"""

import copy

from django.urls import reverse

from newsroom.memo import memo

from .models import AppealVariant, Placement

# More candidates than this on one page is a configuration nobody means; the lowest
# priorities are left out.
MAX_CANDIDATES = 40

PAGE_ORDER = [
    Placement.TOP,
    Placement.HOME,
    Placement.INLINE,
    Placement.END,
    Placement.OVERLAY,
]


class PageAppeals:
    def __init__(
        self, variants, placements, article=None, preview=False, rendered=None
    ):
        self.placements = set(placements)
        # What the slots render to: shared by every page of a kind for as long as
        # the memo keeps its appeals (Candidates), as they number them alike.
        self.rendered = {} if rendered is None else rendered
        self.article = article
        self.preview = preview
        # False on pages readers never see (drafts, preview links): the appeals show
        # as they would, but nothing is counted or remembered.
        self.counting = not preview
        order = {placement: index for index, placement in enumerate(PAGE_ORDER)}
        variants = sorted(
            variants,
            key=lambda v: (
                order[v.appeal.placement],
                -v.appeal.priority,
                v.appeal_id,
                v.pk,
            ),
        )
        if len(variants) > MAX_CANDIDATES:
            by_priority = sorted(
                variants, key=lambda v: (-v.appeal.priority, v.appeal_id, v.pk)
            )
            kept = {id(v) for v in by_priority[:MAX_CANDIDATES]}
            variants = [v for v in variants if id(v) in kept]
        self.variants = variants
        for n, variant in enumerate(self.variants, start=1):
            variant.n = n

    @classmethod
    def for_page(cls, placements, article=None):
        if not placements:
            return cls([], placements, article)
        variants, rendered = candidates.get(placements, article)
        return cls(variants, placements, article, rendered=rendered)

    @classmethod
    def for_preview(cls, variant, placement, article=None):
        """One variant, shown in any placement whatever the reader rules say: for
        an admin to see how it looks."""
        variant.appeal.placement = placement
        return cls([variant], [placement], article, preview=True)

    def render_once(self, key, render):
        """render()'s answer, kept for every page of this kind (see __init__)."""
        found = self.rendered.get(key)
        if found is None:
            found = self.rendered[key] = render()
        return found

    def in_slot(self, placement):
        return [v for v in self.variants if v.appeal.placement == placement]

    def appeals(self):
        """Each appeal with its variants on the page, in page order."""
        grouped = {}
        for variant in self.variants:
            grouped.setdefault(variant.appeal_id, (variant.appeal, []))[1].append(
                variant
            )
        return list(grouped.values())

    def data(self):
        """The JSON the <head> script decides from."""
        data = {
            "article": self.article.pk if self.article else None,
            "beacon": reverse("donations:event"),
            "appeals": self.render_once(
                "rules",
                lambda: [appeal.rules(variants) for appeal, variants in self.appeals()],
            ),
        }
        if not self.counting:
            data["counting"] = False
        if self.preview and self.variants:
            variant = self.variants[0]
            data["preview"] = {
                "appeal": variant.appeal_id,
                "variant": variant.pk,
                "n": variant.n,
            }
            data["appeals"] = []
        return data


class Candidates:
    """The variants each kind of page may show (the same slots; for a story, the
    same section, developing flag and no-appeals flag), from the worker's memo
    (newsroom.memo): building that one query costs a page about as much as all its
    other queries together. Each page gets its own copies to number, and the
    dictionary where pages of the kind keep what their slots render to."""

    def get(self, placements, article=None):
        shape = None
        if article is not None:
            shape = (article.no_appeals, article.developing, article.section_id)
        variants, rendered = memo.get(
            ("appeals", frozenset(placements), shape),
            lambda: (list(AppealVariant.objects.for_page(placements, article)), {}),
        )
        # Each page numbers its own copies (PageAppeals sets variant.n).
        return [copy.copy(variant) for variant in variants], rendered


candidates = Candidates()
