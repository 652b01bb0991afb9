"""
What the articles app does when rows change outside a model's own save():
tag links and tag deletions re-index the articles they touch and make them choose
their related stories again. Connected in ArticlesConfig.ready().
"""

from django.db.models.signals import m2m_changed, post_delete, pre_delete
from django.dispatch import receiver

from .models import Article, Tag


@receiver(m2m_changed, sender=Article.tags.through)
def reindex_after_tagging(sender, instance, action, reverse, pk_set, **kwargs):
    # Tag names are part of the search document, and the admin saves tags after the
    # article, so the article's own save() cannot see them: every change to the
    # links re-indexes the articles it touches.
    if reverse and action == "pre_clear":
        # tag.articles.clear() names no articles, and afterwards the links are gone.
        instance._untagged = list(instance.articles.values_list("pk", flat=True))
    if action not in ("post_add", "post_remove", "post_clear"):
        return
    if not reverse:
        pk_set = [instance.pk]
    elif action == "post_clear":
        pk_set = instance.__dict__.pop("_untagged", [])
    Article.objects.filter(pk__in=pk_set).update_search_vectors()
    Article.objects.filter(pk__in=pk_set).update(related_ids=None)


@receiver(pre_delete, sender=Tag)
def remember_tagged_articles(sender, instance, **kwargs):
    instance._untagged = list(instance.articles.values_list("pk", flat=True))


@receiver(post_delete, sender=Tag)
def reindex_after_tag_deleted(sender, instance, **kwargs):
    pks = instance.__dict__.pop("_untagged", [])
    Article.objects.filter(pk__in=pks).update_search_vectors()
    Article.objects.filter(pk__in=pks).update(related_ids=None)
