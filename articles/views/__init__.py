"""The reader site's views, one module per subject. The names `articles.urls`
and other apps use are re-exported here."""

from .access import PublishedMixin, PublishedOrStaffMixin, mark_preview, previewer
from .editor import editor_image_upload
from .errors import page_not_found
from .listing import (
    AboutView,
    ArchiveView,
    AuthorView,
    HomeView,
    LatestView,
    SectionView,
    StoryListView,
    TagView,
)
from .live import CorrectionListView, UpdateArchiveView, updates_since
from .previews import home_preview, preview, preview_link_for, story_preview
from .quotes import QuoteDetailView, QuoteListView, SpeakerDetailView, quote_image
from .republish import PIXEL, RepublishView, republish_pixel
from .search import SearchView
from .story import ArticleDetailView

__all__ = [
    "PIXEL",
    "AboutView",
    "ArchiveView",
    "ArticleDetailView",
    "AuthorView",
    "CorrectionListView",
    "HomeView",
    "LatestView",
    "PublishedMixin",
    "PublishedOrStaffMixin",
    "QuoteDetailView",
    "QuoteListView",
    "RepublishView",
    "SearchView",
    "SectionView",
    "SpeakerDetailView",
    "StoryListView",
    "TagView",
    "UpdateArchiveView",
    "editor_image_upload",
    "home_preview",
    "mark_preview",
    "page_not_found",
    "preview",
    "preview_link_for",
    "previewer",
    "quote_image",
    "republish_pixel",
    "story_preview",
    "updates_since",
]
