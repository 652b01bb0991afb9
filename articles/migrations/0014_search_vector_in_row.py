"""Keep each article's search vector in its row, not in the TOAST table.

Ranking reads the vector of every match. Left to the default (EXTENDED), a vector is
moved out of line with the body and the stored parts, so each match costs a TOAST
index lookup and a few chunk reads: on 100,000 articles, ranking the 2,112 matches
of "council budget" took 7-9 ms that way and 3-4 ms with the vector in the row.
MAIN still compresses it, and moves it out only if a row cannot fit otherwise; the
body and the parts, larger and read only for one story, go out first.

SET STORAGE applies to values written from now on, so the vectors are written again
(`|| ''` makes a new value; an unchanged one would keep its TOAST pointer). The
trigger of migration 0013 sees only a search-vector change and keeps the parts.
"""

from django.db import migrations

FORWARD = """
ALTER TABLE articles_article ALTER COLUMN search_vector SET STORAGE MAIN;
UPDATE articles_article SET search_vector = search_vector || ''::tsvector
    WHERE search_vector IS NOT NULL;
"""

BACKWARD = """
ALTER TABLE articles_article ALTER COLUMN search_vector SET STORAGE EXTENDED;
"""


class Migration(migrations.Migration):
    dependencies = [
        ("articles", "0013_cheaper_forget_parts"),
    ]

    operations = [migrations.RunSQL(FORWARD, BACKWARD)]
