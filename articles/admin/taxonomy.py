"""Sections, tags and authors."""

from django.contrib import admin

from newsroom.admin import RefuseStaleSavesMixin

from ..models import Author, Section, Tag


@admin.register(Section)
class SectionAdmin(RefuseStaleSavesMixin, admin.ModelAdmin):
    list_display = ["name", "slug", "position"]
    list_editable = ["position"]
    search_fields = ["name"]
    prepopulated_fields = {"slug": ["name"]}


@admin.register(Tag)
class TagAdmin(RefuseStaleSavesMixin, admin.ModelAdmin):
    list_display = ["name", "slug"]
    search_fields = ["name"]
    prepopulated_fields = {"slug": ["name"]}


@admin.register(Author)
class AuthorAdmin(RefuseStaleSavesMixin, admin.ModelAdmin):
    list_display = ["name", "title", "user"]
    list_select_related = ["user"]
    search_fields = ["name", "title"]
    prepopulated_fields = {"slug": ["name"]}
    autocomplete_fields = ["photo", "user"]
