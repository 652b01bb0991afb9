from django.urls import path

from . import feeds, views

app_name = "articles"

urlpatterns = [
    path("", views.HomeView.as_view(), name="home"),
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
