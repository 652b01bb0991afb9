from django.contrib import admin

from .models import Article


@admin.register(Article)
class ArticleAdmin(admin.ModelAdmin):
    list_display = ["headline", "published_at", "updated_at"]
    list_filter = ["published_at"]
    search_fields = ["headline"]
    prepopulated_fields = {"slug": ["headline"]}
    date_hierarchy = "published_at"
