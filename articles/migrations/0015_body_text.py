"""Each article keeps its body as plain text (richtext.plain.plain_text), and the
search document and snippets read that instead of turning every tag into a space in
SQL: search now sees the same words as the structured data and feeds ("foo<em>bar</em>"
is one word, "&amp;" is "&")."""

from django.contrib.postgres.expressions import ArraySubquery
from django.contrib.postgres.search import SearchVector
from django.db import migrations, models

BATCH = 500


def fill_body_text(apps, schema_editor):
    from richtext.plain import plain_text
    from richtext.sanitize import sanitize
    from articles.search import search_config

    Article = apps.get_model("articles", "Article")
    Tag = apps.get_model("articles", "Tag")
    ids = list(Article.objects.order_by("pk").values_list("pk", flat=True))
    for start in range(0, len(ids), BATCH):
        rows = list(Article.objects.filter(pk__in=ids[start : start + BATCH]))
        for article in rows:
            article.body_text = plain_text(sanitize(article.body))
        Article.objects.bulk_update(rows, ["body_text"])
    # The search document as articles.search.document() builds it.
    config = search_config()
    tag_names = models.Func(
        ArraySubquery(
            Tag.objects.filter(articles=models.OuterRef("pk")).order_by().values("name")
        ),
        models.Value(" "),
        function="array_to_string",
        output_field=models.TextField(),
    )
    Article.objects.update(
        search_vector=SearchVector("headline", config=config, weight="A")
        + SearchVector("dek", tag_names, config=config, weight="B")
        + SearchVector("body_text", config=config, weight="C")
    )


class Migration(migrations.Migration):
    dependencies = [
        ("articles", "0014_search_vector_in_row"),
    ]

    operations = [
        migrations.AddField(
            model_name="article",
            name="body_text",
            field=models.TextField(blank=True, default="", editable=False),
        ),
        migrations.RunPython(fill_body_text, migrations.RunPython.noop, elidable=True),
    ]
