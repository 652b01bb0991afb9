from django.conf import settings
from django.conf.urls.static import static
from django.contrib import admin
from django.urls import include, path

from . import views

admin.site.site_header = admin.site.site_title = f"{settings.SITE_NAME} CMS"
admin.site.index_title = "Newsroom"

# A database that cannot be reached is a 503 (newsroom.outage), not a 500.
handler500 = "newsroom.outage.server_error"

urlpatterns = [
    path("healthz", views.healthz, name="healthz"),
    path("readyz", views.readyz, name="readyz"),
    path("admin/", admin.site.urls),
    # Staff sign-in, second factors, password reset and sessions (django-allauth).
    path("accounts/", include("allauth.urls")),
    path("donate/", include("donations.urls")),
    path("", include("articles.urls")),
]

if settings.DEBUG:
    # Media is served by the web server in production (see docker-compose.yml).
    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
