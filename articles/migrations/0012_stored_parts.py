"""
Stored parts of each story (articles.parts): its teaser and the unchanging parts of
its page, rendered once and kept on the row, and forgotten by the database itself
whenever anything they show changes, whoever writes it (the admin, a bulk update,
an import in SQL).

- A change to the article row (any column but the stored parts and the search and
  related-story caches) forgets its parts and moves `parts_generation` on. A write
  that carries another generation than the row's (a form loaded before the parts
  were forgotten) forgets them too, so an old copy is never written back.
- Changes to what a story shows from other tables forget the parts of the stories
  that show it: bylines, tags and their names, sections, authors, images, pull
  quotes, quotes and speakers, updates and corrections (whose presence the parts
  record). Statement triggers with transition tables: a bulk insert of a million
  updates costs one UPDATE per statement, not one per row.

Parts are written back only where the generation is still the one they were
rendered at (articles.parts.store), so a render that raced a change is dropped.
"""

from django.db import migrations, models

FORGET = """
UPDATE articles_article
SET card_parts = NULL, story_parts = NULL, parts_generation = parts_generation + 1
WHERE id IN ({ids}) AND (card_parts IS NOT NULL OR story_parts IS NOT NULL)
"""

# table: (events, SQL selecting the article ids touched, from transition tables
# "new_rows" and/or "old_rows")
DEPENDENCIES = {
    "articles_byline": (
        ["INSERT", "UPDATE", "DELETE"],
        "SELECT article_id FROM {rows}",
    ),
    "articles_article_tags": (
        ["INSERT", "UPDATE", "DELETE"],
        "SELECT article_id FROM {rows}",
    ),
    "articles_pullquote": (
        ["INSERT", "UPDATE", "DELETE"],
        "SELECT article_id FROM {rows}",
    ),
    "articles_update": (
        ["INSERT", "UPDATE", "DELETE"],
        "SELECT article_id FROM {rows}",
    ),
    "articles_correction": (
        ["INSERT", "UPDATE", "DELETE"],
        "SELECT article_id FROM {rows}",
    ),
    "articles_tag": (
        ["UPDATE"],
        "SELECT t.article_id FROM articles_article_tags t JOIN {rows} r ON t.tag_id = r.id",
    ),
    "articles_section": (
        ["UPDATE"],
        "SELECT a.id FROM articles_article a JOIN {rows} r ON a.section_id = r.id",
    ),
    "articles_author": (
        ["UPDATE"],
        "SELECT b.article_id FROM articles_byline b JOIN {rows} r ON b.author_id = r.id",
    ),
    "articles_image": (
        ["UPDATE"],
        "SELECT a.id FROM articles_article a JOIN {rows} r ON a.featured_image_id = r.id"
        " UNION SELECT p.article_id FROM articles_pullquote p"
        " JOIN articles_quote q ON p.quote_id = q.id"
        " JOIN articles_speaker s ON q.speaker_id = s.id JOIN {rows} r ON s.photo_id = r.id",
    ),
    "articles_quote": (
        ["UPDATE"],
        "SELECT p.article_id FROM articles_pullquote p JOIN {rows} r ON p.quote_id = r.id",
    ),
    "articles_speaker": (
        ["UPDATE"],
        "SELECT p.article_id FROM articles_pullquote p"
        " JOIN articles_quote q ON p.quote_id = q.id JOIN {rows} r ON q.speaker_id = r.id",
    ),
}

# What the stored parts do not depend on: themselves, and caches kept beside them.
NOT_SHOWN = "'card_parts', 'story_parts', 'parts_generation', 'search_vector', 'related_ids'"

ARTICLE_TRIGGER = f"""
CREATE FUNCTION articles_article_forget_parts() RETURNS trigger AS $$
BEGIN
    IF NEW.parts_generation IS DISTINCT FROM OLD.parts_generation
       OR (to_jsonb(NEW) - ARRAY[{NOT_SHOWN}]) IS DISTINCT FROM
          (to_jsonb(OLD) - ARRAY[{NOT_SHOWN}]) THEN
        NEW.card_parts := NULL;
        NEW.story_parts := NULL;
        NEW.parts_generation := OLD.parts_generation + 1;
    END IF;
    RETURN NEW;
END $$ LANGUAGE plpgsql;
CREATE TRIGGER articles_article_forget_parts BEFORE UPDATE ON articles_article
FOR EACH ROW EXECUTE FUNCTION articles_article_forget_parts();
"""


def dependency_sql(table, events, select):
    statements, drops = [], []
    for event in events:
        name = f"{table}_{event.lower()}_forget_parts"
        tables = {"INSERT": ["new_rows"], "UPDATE": ["new_rows", "old_rows"]}.get(
            event, ["old_rows"]
        )
        referencing = " ".join(
            f"{'NEW' if t == 'new_rows' else 'OLD'} TABLE AS {t}" for t in tables
        )
        ids = " UNION ".join(select.format(rows=t) for t in tables)
        statements.append(
            f"""
CREATE FUNCTION {name}() RETURNS trigger AS $$
BEGIN
    {FORGET.format(ids=ids).strip()};
    RETURN NULL;
END $$ LANGUAGE plpgsql;
CREATE TRIGGER {name} AFTER {event} ON {table}
REFERENCING {referencing} FOR EACH STATEMENT EXECUTE FUNCTION {name}();
"""
        )
        drops.append(
            f"DROP TRIGGER IF EXISTS {name} ON {table}; DROP FUNCTION IF EXISTS {name}();"
        )
    return "".join(statements), " ".join(drops)


def triggers():
    forward = [ARTICLE_TRIGGER]
    backward = [
        "DROP TRIGGER IF EXISTS articles_article_forget_parts ON articles_article;"
        " DROP FUNCTION IF EXISTS articles_article_forget_parts();"
    ]
    for table, (events, select) in DEPENDENCIES.items():
        create, drop = dependency_sql(table, events, select)
        forward.append(create)
        backward.append(drop)
    return "\n".join(forward), "\n".join(backward)


class Migration(migrations.Migration):
    dependencies = [
        ("articles", "0011_related_ids"),
    ]

    operations = [
        migrations.AddField(
            model_name="article",
            name="card_parts",
            field=models.JSONField(editable=False, null=True),
        ),
        migrations.AddField(
            model_name="article",
            name="story_parts",
            field=models.JSONField(editable=False, null=True),
        ),
        migrations.AddField(
            model_name="article",
            name="parts_generation",
            field=models.PositiveIntegerField(default=0, editable=False),
        ),
        migrations.RunSQL(*triggers()),
    ]
