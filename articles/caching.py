"""
What each cache below the page cache depends on, declared once; the database
triggers that forget a story's stored parts are generated from it.

- **Stored parts** (articles.parts: `Article.card_parts`, `story_parts`): a story's
  teaser and the unchanging parts of its page, kept on its row. They show every
  column of the row but the caches kept beside them (ARTICLE_CACHES), and the rows
  reached from the story by the relation paths in PARTS_SHOW. A change to any of
  those, by whatever path (the admin, a bulk update, an SQL import), forgets the
  parts of the stories that show it and moves their `parts_generation` on.
  Each table on a path is watched: a table whose rows belong to the story
  (bylines, tag links, pull quotes, updates, corrections) when a row is added,
  changed or removed; a table the story points at (a section, an author, an
  image) when a row changes, since a row is pointed at only after it exists and
  removing it changes the row that pointed at it.
- **The templates and code they were rendered with** (articles.parts.version()):
  every template and every first-party Python module, read once per process, so a
  deploy renders each story again when it is first asked for.
- **The worker's memo** (newsroom.memo.WorkerMemo): the masthead's sections, the
  footer and the donation appeals a kind of page may show, for WORKER_MEMO_SECONDS,
  forgotten at once when this process changes content or the page cache's
  generation moves on.
- **Updates as shown** (articles.parts.shown_updates): kept by everything they
  show (shown_update_key), so a change makes a new key and nothing goes stale.

tests/articles/test_freshness.py changes every field of every model these show,
by the ORM, by queryset.update() and by raw SQL, and checks the next page is the
page rendered from the rows. tests/articles/test_caching.py checks the installed
triggers are the ones generated here: after changing the declaration, run
`manage.py forget_parts_migration` to write the migration that installs them.
"""

import re

from django.db import connection

from .models import Article

# Columns of the story's row the parts do not show: the parts themselves, their
# generation (compared on its own) and the caches kept beside them.
ARTICLE_CACHES = ("card_parts", "story_parts", "search_vector", "related_ids")

# What else the parts show, as relation paths from Article (each prefix included).
PARTS_SHOW = (
    "section",
    "featured_image",
    "bylines__author",
    "tags",
    "pull_quotes__quote__speaker",
    # Whether a story has any update or correction is kept with its parts.
    "updates",
    "corrections",
)

# Models of the app no reader page shows (the freshness test changes the fields of
# every other one).
NOT_SHOWN = (
    "OldSlug",
    "RepublishPartner",
    "RepublishCount",
    "WorkflowNote",
)

SUFFIX = "_forget_parts"
EVENTS = ("INSERT", "UPDATE", "DELETE")
TRANSITION = {"INSERT": ("new_rows",), "UPDATE": ("old_rows", "new_rows")}

FORGET = (
    "UPDATE articles_article"
    " SET card_parts = NULL, story_parts = NULL,"
    " parts_generation = parts_generation + 1"
    " WHERE id IN ({ids}) AND (card_parts IS NOT NULL OR story_parts IS NOT NULL)"
)


def steps(path):
    """[(model, join)] along a relation path from Article: each model reached and
    how its rows join the previous one's ("a.x = b.y" with {prev} and {this}). A
    many-to-many relation is two steps: its link table, then the related model."""
    model, found = Article, []
    for name in path.split("__"):
        field = model._meta.get_field(name)
        if field.many_to_many:
            through = field.remote_field.through
            found.append(
                (through, f"{{this}}.{field.m2m_column_name()} = {{prev}}.id", True)
            )
            found.append(
                (
                    field.related_model,
                    f"{{this}}.id = {{prev}}.{field.m2m_reverse_name()}",
                    False,
                )
            )
        elif field.one_to_many:
            found.append(
                (
                    field.related_model,
                    f"{{this}}.{field.field.column} = {{prev}}.id",
                    True,
                )
            )
        else:
            found.append(
                (field.related_model, f"{{this}}.id = {{prev}}.{field.column}", False)
            )
        model = field.related_model
    return found


def shown_models():
    """Article and every model on a path of PARTS_SHOW, in order."""
    models = [Article]
    for path in PARTS_SHOW:
        for model, _join, _owned in steps(path):
            if model not in models:
                models.append(model)
    return models


def dependencies():
    """{table: (events, [SQL selecting the story ids a change touches, from the
    transition table {rows}])} for every table PARTS_SHOW reaches."""
    found = {}
    for path in PARTS_SHOW:
        chain = steps(path)
        for end in range(1, len(chain) + 1):
            reached = chain[:end]
            owned = all(step[2] for step in reached)
            table = reached[-1][0]._meta.db_table
            events, selects = found.setdefault(table, (set(), []))
            events.update(EVENTS if owned else ["UPDATE"])
            sql = select(reached)
            if sql not in selects:
                selects.append(sql)
    return {
        table: ([e for e in EVENTS if e in events], selects)
        for table, (events, selects) in found.items()
    }


def select(reached):
    """The story ids joined to the rows of the last model reached."""
    aliases = [f"t{i}" for i in range(len(reached) + 1)]
    tables = [Article._meta.db_table] + [m._meta.db_table for m, _j, _o in reached]
    tables[-1] = "{rows}"
    joins = [
        f"JOIN {tables[i]} {aliases[i]} ON "
        + join.format(prev=aliases[i - 1], this=aliases[i])
        for i, (_model, join, _owned) in enumerate(reached, start=1)
    ]
    if reached[0][2]:
        # The first step's rows name the story: no need to read its row.
        first_column = reached[0][1].split(" = ")[0].format(this=aliases[1])
        joins[0] = f"FROM {tables[1]} {aliases[1]}"
        return f"SELECT {first_column} " + " ".join(joins)
    return f"SELECT t0.id FROM {tables[0]} t0 " + " ".join(joins)


def article_function():
    """The story row's own trigger: any change but to its caches forgets its
    parts, and so does a write carrying another generation than the row's (a form
    loaded before the parts were forgotten), so an old copy is never written back."""
    keep = " ".join(f"shown.{column} := OLD.{column};" for column in ARTICLE_CACHES)
    return f"""
DECLARE
    shown articles_article;
BEGIN
    shown := NEW; {keep}
    IF NEW.parts_generation IS DISTINCT FROM OLD.parts_generation
       OR shown IS DISTINCT FROM OLD THEN
        NEW.card_parts := NULL;
        NEW.story_parts := NULL;
        NEW.parts_generation := OLD.parts_generation + 1;
    END IF;
    RETURN NEW;
END
"""


def triggers():
    """{name: (function body, CREATE TRIGGER statement)}, as PostgreSQL shows
    them (pg_proc.prosrc, pg_get_triggerdef without the schema)."""
    name = f"articles_article{SUFFIX}"
    found = {
        name: (
            article_function(),
            f"CREATE TRIGGER {name} BEFORE UPDATE ON articles_article"
            f" FOR EACH ROW EXECUTE FUNCTION {name}()",
        )
    }
    for table, (events, selects) in dependencies().items():
        for event in events:
            name = f"{table}_{event.lower()}{SUFFIX}"
            rows = TRANSITION.get(event, ("old_rows",))
            ids = " UNION ".join(s.format(rows=r) for r in rows for s in selects)
            referencing = " ".join(
                f"{'NEW' if r == 'new_rows' else 'OLD'} TABLE AS {r}" for r in rows
            )
            found[name] = (
                f"\nBEGIN\n    {FORGET.format(ids=ids)};\n    RETURN NULL;\nEND\n",
                f"CREATE TRIGGER {name} AFTER {event} ON {table}"
                f" REFERENCING {referencing} FOR EACH STATEMENT"
                f" EXECUTE FUNCTION {name}()",
            )
    return found


# Installing them -----------------------------------------------------------------

DROP_ALL = f"""
DO $drop$
DECLARE found record;
BEGIN
    FOR found IN
        SELECT t.tgname, t.tgrelid::regclass AS tbl, t.tgfoid::regprocedure AS fn
        FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid
        WHERE NOT t.tgisinternal AND t.tgname LIKE '%{SUFFIX}'
        AND c.relnamespace = current_schema()::regnamespace
    LOOP
        EXECUTE format('DROP TRIGGER %I ON %s', found.tgname, found.tbl);
        EXECUTE format('DROP FUNCTION IF EXISTS %s', found.fn);
    END LOOP;
END $drop$;
"""


def create_sql(found):
    """SQL installing {name: (body, trigger)} after dropping what is installed."""
    statements = [DROP_ALL]
    for name, (body, trigger) in sorted(found.items()):
        statements.append(
            f"CREATE FUNCTION {name}() RETURNS trigger AS $${body}$$ LANGUAGE plpgsql;"
        )
        statements.append(f"{trigger};")
    return "\n".join(statements)


def installed():
    """The forgetting triggers in the database, in the form triggers() gives."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT t.tgname, p.prosrc, pg_get_triggerdef(t.oid)
            FROM pg_trigger t JOIN pg_proc p ON p.oid = t.tgfoid
            JOIN pg_class c ON c.oid = t.tgrelid
            JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE NOT t.tgisinternal AND t.tgname LIKE %s
            AND n.nspname = current_schema()
            """,
            [f"%{SUFFIX}"],
        )
        return {
            name: (body, re.sub(r" ON \w+\.", " ON ", definition, count=1))
            for name, body, definition in cursor.fetchall()
        }
