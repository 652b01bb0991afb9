from django.urls import path, register_converter
from django.views.generic import TemplateView

from . import feeds, sitemaps, views


class Digits:
    """A number written with a fixed count of digits: 2024, 03."""

    def __init__(self, length):
        self.length = length
        self.regex = f"[0-9]{{{length}}}"

    def to_python(self, value):
        return int(value)

    def to_url(self, value):
        return f"{int(value):0{self.length}d}"


class YearConverter(Digits):
    def __init__(self):
        super().__init__(4)


class TwoDigitConverter(Digits):
    def __init__(self):
        super().__init__(2)


register_converter(YearConverter, "yyyy")
register_converter(TwoDigitConverter, "mm")
register_converter(TwoDigitConverter, "dd")

app_name = "articles"

urlpatterns = [
    path("", views.HomeView.as_view(), name="home"),
    path("latest/", views.LatestView.as_view(), name="latest"),
    path("section/<slug:slug>/", views.SectionView.as_view(), name="section"),
    path("tag/<slug:slug>/", views.TagView.as_view(), name="tag"),
    path("author/<slug:slug>/", views.AuthorView.as_view(), name="author"),
    path("<yyyy:year>/", views.ArchiveView.as_view(), name="archive-year"),
    path("<yyyy:year>/<mm:month>/", views.ArchiveView.as_view(), name="archive-month"),
    path(
        "<yyyy:year>/<mm:month>/<dd:day>/",
        views.ArchiveView.as_view(),
        name="archive-day",
    ),
    path("search/", views.SearchView.as_view(), name="search"),
    path("about/", views.AboutView.as_view(), name="about"),
    path(
        "<int:year>/<str:month>/<str:day>/<slug:slug>/republish/",
        views.RepublishView.as_view(),
        name="republish",
    ),
    path(
        "republish/<int:pk>/pixel.gif",
        views.republish_pixel,
        name="republish-pixel",
    ),
    path("feed/", feeds.LatestFeed(), name="feed"),
    path("feed/atom/", feeds.LatestAtomFeed(), name="feed-atom"),
    path("section/<slug:slug>/feed/", feeds.SectionFeed(), name="section-feed"),
    path(
        "section/<slug:slug>/feed/atom/",
        feeds.SectionAtomFeed(),
        name="section-feed-atom",
    ),
    path("tag/<slug:slug>/feed/", feeds.TagFeed(), name="tag-feed"),
    path("tag/<slug:slug>/feed/atom/", feeds.TagAtomFeed(), name="tag-feed-atom"),
    path("author/<slug:slug>/feed/", feeds.AuthorFeed(), name="author-feed"),
    path(
        "author/<slug:slug>/feed/atom/",
        feeds.AuthorAtomFeed(),
        name="author-feed-atom",
    ),
    path("sitemap.xml", sitemaps.index, name="sitemap-index"),
    path("sitemap-<slug:section>.xml", sitemaps.part, name="sitemap"),
    path("news-sitemap.xml", sitemaps.news, name="news-sitemap"),
    path(
        "robots.txt",
        TemplateView.as_view(
            template_name="robots.txt", content_type="text/plain; charset=utf-8"
        ),
        name="robots",
    ),
    path(
        "<int:year>/<str:month>/<str:day>/<slug:slug>/",
        views.ArticleDetailView.as_view(),
        name="detail",
    ),
    path("preview/<str:token>/", views.preview, name="preview"),
    path("live/<slug:slug>/updates/", views.updates_since, name="updates"),
    path("live/<slug:slug>/feed/", feeds.StoryUpdatesFeed(), name="updates-feed"),
    path(
        "live/<slug:slug>/all/",
        views.UpdateArchiveView.as_view(),
        name="updates-archive",
    ),
    path("corrections/", views.CorrectionListView.as_view(), name="corrections"),
    path("corrections/feed/", feeds.CorrectionsFeed(), name="corrections-feed"),
    path("editor/images/", views.editor_image_upload, name="editor-image-upload"),
    path("quotes/", views.QuoteListView.as_view(), name="quotes"),
    path("quotes/<int:pk>/", views.QuoteDetailView.as_view(), name="quote"),
    path("quotes/<int:pk>/image.png", views.quote_image, name="quote-image"),
    path("speakers/<slug:slug>/", views.SpeakerDetailView.as_view(), name="speaker"),
]
