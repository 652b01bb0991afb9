"""
The triggers that forget stories' stored parts, as articles.caching declares them
(written by `manage.py forget_parts_migration`: a frozen copy, so this migration
installs the same triggers whatever the declaration says later).
"""

from django.db import migrations

FORWARD = """
DO $drop$
DECLARE found record;
BEGIN
    FOR found IN
        SELECT t.tgname, t.tgrelid::regclass AS tbl, t.tgfoid::regprocedure AS fn
        FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid
        WHERE NOT t.tgisinternal AND t.tgname LIKE '%_forget_parts'
        AND c.relnamespace = current_schema()::regnamespace
    LOOP
        EXECUTE format('DROP TRIGGER %I ON %s', found.tgname, found.tbl);
        EXECUTE format('DROP FUNCTION IF EXISTS %s', found.fn);
    END LOOP;
END $drop$;

CREATE FUNCTION articles_article_forget_parts() RETURNS trigger AS $$
DECLARE
    shown articles_article;
BEGIN
    shown := NEW; shown.card_parts := OLD.card_parts; shown.story_parts := OLD.story_parts; shown.search_vector := OLD.search_vector; shown.related_ids := OLD.related_ids;
    IF NEW.parts_generation IS DISTINCT FROM OLD.parts_generation
       OR shown IS DISTINCT FROM OLD THEN
        NEW.card_parts := NULL;
        NEW.story_parts := NULL;
        NEW.parts_generation := OLD.parts_generation + 1;
    END IF;
    RETURN NEW;
END
$$ LANGUAGE plpgsql;
CREATE TRIGGER articles_article_forget_parts BEFORE UPDATE ON articles_article FOR EACH ROW EXECUTE FUNCTION articles_article_forget_parts();
CREATE FUNCTION articles_article_tags_delete_forget_parts() RETURNS trigger AS $$
BEGIN
    UPDATE articles_article SET card_parts = NULL, story_parts = NULL, parts_generation = parts_generation + 1 WHERE id IN (SELECT t1.article_id FROM old_rows t1) AND (card_parts IS NOT NULL OR story_parts IS NOT NULL);
    RETURN NULL;
END
$$ LANGUAGE plpgsql;
CREATE TRIGGER articles_article_tags_delete_forget_parts AFTER DELETE ON articles_article_tags REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION articles_article_tags_delete_forget_parts();
CREATE FUNCTION articles_article_tags_insert_forget_parts() RETURNS trigger AS $$
BEGIN
    UPDATE articles_article SET card_parts = NULL, story_parts = NULL, parts_generation = parts_generation + 1 WHERE id IN (SELECT t1.article_id FROM new_rows t1) AND (card_parts IS NOT NULL OR story_parts IS NOT NULL);
    RETURN NULL;
END
$$ LANGUAGE plpgsql;
CREATE TRIGGER articles_article_tags_insert_forget_parts AFTER INSERT ON articles_article_tags REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION articles_article_tags_insert_forget_parts();
CREATE FUNCTION articles_article_tags_update_forget_parts() RETURNS trigger AS $$
BEGIN
    UPDATE articles_article SET card_parts = NULL, story_parts = NULL, parts_generation = parts_generation + 1 WHERE id IN (SELECT t1.article_id FROM old_rows t1 UNION SELECT t1.article_id FROM new_rows t1) AND (card_parts IS NOT NULL OR story_parts IS NOT NULL);
    RETURN NULL;
END
$$ LANGUAGE plpgsql;
CREATE TRIGGER articles_article_tags_update_forget_parts AFTER UPDATE ON articles_article_tags REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION articles_article_tags_update_forget_parts();
CREATE FUNCTION articles_author_update_forget_parts() RETURNS trigger AS $$
BEGIN
    UPDATE articles_article SET card_parts = NULL, story_parts = NULL, parts_generation = parts_generation + 1 WHERE id IN (SELECT t1.article_id FROM articles_byline t1 JOIN old_rows t2 ON t2.id = t1.author_id UNION SELECT t1.article_id FROM articles_byline t1 JOIN new_rows t2 ON t2.id = t1.author_id) AND (card_parts IS NOT NULL OR story_parts IS NOT NULL);
    RETURN NULL;
END
$$ LANGUAGE plpgsql;
CREATE TRIGGER articles_author_update_forget_parts AFTER UPDATE ON articles_author REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION articles_author_update_forget_parts();
CREATE FUNCTION articles_byline_delete_forget_parts() RETURNS trigger AS $$
BEGIN
    UPDATE articles_article SET card_parts = NULL, story_parts = NULL, parts_generation = parts_generation + 1 WHERE id IN (SELECT t1.article_id FROM old_rows t1) AND (card_parts IS NOT NULL OR story_parts IS NOT NULL);
    RETURN NULL;
END
$$ LANGUAGE plpgsql;
CREATE TRIGGER articles_byline_delete_forget_parts AFTER DELETE ON articles_byline REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION articles_byline_delete_forget_parts();
CREATE FUNCTION articles_byline_insert_forget_parts() RETURNS trigger AS $$
BEGIN
    UPDATE articles_article SET card_parts = NULL, story_parts = NULL, parts_generation = parts_generation + 1 WHERE id IN (SELECT t1.article_id FROM new_rows t1) AND (card_parts IS NOT NULL OR story_parts IS NOT NULL);
    RETURN NULL;
END
$$ LANGUAGE plpgsql;
CREATE TRIGGER articles_byline_insert_forget_parts AFTER INSERT ON articles_byline REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION articles_byline_insert_forget_parts();
CREATE FUNCTION articles_byline_update_forget_parts() RETURNS trigger AS $$
BEGIN
    UPDATE articles_article SET card_parts = NULL, story_parts = NULL, parts_generation = parts_generation + 1 WHERE id IN (SELECT t1.article_id FROM old_rows t1 UNION SELECT t1.article_id FROM new_rows t1) AND (card_parts IS NOT NULL OR story_parts IS NOT NULL);
    RETURN NULL;
END
$$ LANGUAGE plpgsql;
CREATE TRIGGER articles_byline_update_forget_parts AFTER UPDATE ON articles_byline REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION articles_byline_update_forget_parts();
CREATE FUNCTION articles_correction_delete_forget_parts() RETURNS trigger AS $$
BEGIN
    UPDATE articles_article SET card_parts = NULL, story_parts = NULL, parts_generation = parts_generation + 1 WHERE id IN (SELECT t1.article_id FROM old_rows t1) AND (card_parts IS NOT NULL OR story_parts IS NOT NULL);
    RETURN NULL;
END
$$ LANGUAGE plpgsql;
CREATE TRIGGER articles_correction_delete_forget_parts AFTER DELETE ON articles_correction REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION articles_correction_delete_forget_parts();
CREATE FUNCTION articles_correction_insert_forget_parts() RETURNS trigger AS $$
BEGIN
    UPDATE articles_article SET card_parts = NULL, story_parts = NULL, parts_generation = parts_generation + 1 WHERE id IN (SELECT t1.article_id FROM new_rows t1) AND (card_parts IS NOT NULL OR story_parts IS NOT NULL);
    RETURN NULL;
END
$$ LANGUAGE plpgsql;
CREATE TRIGGER articles_correction_insert_forget_parts AFTER INSERT ON articles_correction REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION articles_correction_insert_forget_parts();
CREATE FUNCTION articles_correction_update_forget_parts() RETURNS trigger AS $$
BEGIN
    UPDATE articles_article SET card_parts = NULL, story_parts = NULL, parts_generation = parts_generation + 1 WHERE id IN (SELECT t1.article_id FROM old_rows t1 UNION SELECT t1.article_id FROM new_rows t1) AND (card_parts IS NOT NULL OR story_parts IS NOT NULL);
    RETURN NULL;
END
$$ LANGUAGE plpgsql;
CREATE TRIGGER articles_correction_update_forget_parts AFTER UPDATE ON articles_correction REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION articles_correction_update_forget_parts();
CREATE FUNCTION articles_image_update_forget_parts() RETURNS trigger AS $$
BEGIN
    UPDATE articles_article SET card_parts = NULL, story_parts = NULL, parts_generation = parts_generation + 1 WHERE id IN (SELECT t0.id FROM articles_article t0 JOIN old_rows t1 ON t1.id = t0.featured_image_id UNION SELECT t0.id FROM articles_article t0 JOIN new_rows t1 ON t1.id = t0.featured_image_id) AND (card_parts IS NOT NULL OR story_parts IS NOT NULL);
    RETURN NULL;
END
$$ LANGUAGE plpgsql;
CREATE TRIGGER articles_image_update_forget_parts AFTER UPDATE ON articles_image REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION articles_image_update_forget_parts();
CREATE FUNCTION articles_pullquote_delete_forget_parts() RETURNS trigger AS $$
BEGIN
    UPDATE articles_article SET card_parts = NULL, story_parts = NULL, parts_generation = parts_generation + 1 WHERE id IN (SELECT t1.article_id FROM old_rows t1) AND (card_parts IS NOT NULL OR story_parts IS NOT NULL);
    RETURN NULL;
END
$$ LANGUAGE plpgsql;
CREATE TRIGGER articles_pullquote_delete_forget_parts AFTER DELETE ON articles_pullquote REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION articles_pullquote_delete_forget_parts();
CREATE FUNCTION articles_pullquote_insert_forget_parts() RETURNS trigger AS $$
BEGIN
    UPDATE articles_article SET card_parts = NULL, story_parts = NULL, parts_generation = parts_generation + 1 WHERE id IN (SELECT t1.article_id FROM new_rows t1) AND (card_parts IS NOT NULL OR story_parts IS NOT NULL);
    RETURN NULL;
END
$$ LANGUAGE plpgsql;
CREATE TRIGGER articles_pullquote_insert_forget_parts AFTER INSERT ON articles_pullquote REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION articles_pullquote_insert_forget_parts();
CREATE FUNCTION articles_pullquote_update_forget_parts() RETURNS trigger AS $$
BEGIN
    UPDATE articles_article SET card_parts = NULL, story_parts = NULL, parts_generation = parts_generation + 1 WHERE id IN (SELECT t1.article_id FROM old_rows t1 UNION SELECT t1.article_id FROM new_rows t1) AND (card_parts IS NOT NULL OR story_parts IS NOT NULL);
    RETURN NULL;
END
$$ LANGUAGE plpgsql;
CREATE TRIGGER articles_pullquote_update_forget_parts AFTER UPDATE ON articles_pullquote REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION articles_pullquote_update_forget_parts();
CREATE FUNCTION articles_quote_update_forget_parts() RETURNS trigger AS $$
BEGIN
    UPDATE articles_article SET card_parts = NULL, story_parts = NULL, parts_generation = parts_generation + 1 WHERE id IN (SELECT t1.article_id FROM articles_pullquote t1 JOIN old_rows t2 ON t2.id = t1.quote_id UNION SELECT t1.article_id FROM articles_pullquote t1 JOIN new_rows t2 ON t2.id = t1.quote_id) AND (card_parts IS NOT NULL OR story_parts IS NOT NULL);
    RETURN NULL;
END
$$ LANGUAGE plpgsql;
CREATE TRIGGER articles_quote_update_forget_parts AFTER UPDATE ON articles_quote REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION articles_quote_update_forget_parts();
CREATE FUNCTION articles_section_update_forget_parts() RETURNS trigger AS $$
BEGIN
    UPDATE articles_article SET card_parts = NULL, story_parts = NULL, parts_generation = parts_generation + 1 WHERE id IN (SELECT t0.id FROM articles_article t0 JOIN old_rows t1 ON t1.id = t0.section_id UNION SELECT t0.id FROM articles_article t0 JOIN new_rows t1 ON t1.id = t0.section_id) AND (card_parts IS NOT NULL OR story_parts IS NOT NULL);
    RETURN NULL;
END
$$ LANGUAGE plpgsql;
CREATE TRIGGER articles_section_update_forget_parts AFTER UPDATE ON articles_section REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION articles_section_update_forget_parts();
CREATE FUNCTION articles_speaker_update_forget_parts() RETURNS trigger AS $$
BEGIN
    UPDATE articles_article SET card_parts = NULL, story_parts = NULL, parts_generation = parts_generation + 1 WHERE id IN (SELECT t1.article_id FROM articles_pullquote t1 JOIN articles_quote t2 ON t2.id = t1.quote_id JOIN old_rows t3 ON t3.id = t2.speaker_id UNION SELECT t1.article_id FROM articles_pullquote t1 JOIN articles_quote t2 ON t2.id = t1.quote_id JOIN new_rows t3 ON t3.id = t2.speaker_id) AND (card_parts IS NOT NULL OR story_parts IS NOT NULL);
    RETURN NULL;
END
$$ LANGUAGE plpgsql;
CREATE TRIGGER articles_speaker_update_forget_parts AFTER UPDATE ON articles_speaker REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION articles_speaker_update_forget_parts();
CREATE FUNCTION articles_tag_update_forget_parts() RETURNS trigger AS $$
BEGIN
    UPDATE articles_article SET card_parts = NULL, story_parts = NULL, parts_generation = parts_generation + 1 WHERE id IN (SELECT t1.article_id FROM articles_article_tags t1 JOIN old_rows t2 ON t2.id = t1.tag_id UNION SELECT t1.article_id FROM articles_article_tags t1 JOIN new_rows t2 ON t2.id = t1.tag_id) AND (card_parts IS NOT NULL OR story_parts IS NOT NULL);
    RETURN NULL;
END
$$ LANGUAGE plpgsql;
CREATE TRIGGER articles_tag_update_forget_parts AFTER UPDATE ON articles_tag REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION articles_tag_update_forget_parts();
CREATE FUNCTION articles_update_delete_forget_parts() RETURNS trigger AS $$
BEGIN
    UPDATE articles_article SET card_parts = NULL, story_parts = NULL, parts_generation = parts_generation + 1 WHERE id IN (SELECT t1.article_id FROM old_rows t1) AND (card_parts IS NOT NULL OR story_parts IS NOT NULL);
    RETURN NULL;
END
$$ LANGUAGE plpgsql;
CREATE TRIGGER articles_update_delete_forget_parts AFTER DELETE ON articles_update REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION articles_update_delete_forget_parts();
CREATE FUNCTION articles_update_insert_forget_parts() RETURNS trigger AS $$
BEGIN
    UPDATE articles_article SET card_parts = NULL, story_parts = NULL, parts_generation = parts_generation + 1 WHERE id IN (SELECT t1.article_id FROM new_rows t1) AND (card_parts IS NOT NULL OR story_parts IS NOT NULL);
    RETURN NULL;
END
$$ LANGUAGE plpgsql;
CREATE TRIGGER articles_update_insert_forget_parts AFTER INSERT ON articles_update REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION articles_update_insert_forget_parts();
CREATE FUNCTION articles_update_update_forget_parts() RETURNS trigger AS $$
BEGIN
    UPDATE articles_article SET card_parts = NULL, story_parts = NULL, parts_generation = parts_generation + 1 WHERE id IN (SELECT t1.article_id FROM old_rows t1 UNION SELECT t1.article_id FROM new_rows t1) AND (card_parts IS NOT NULL OR story_parts IS NOT NULL);
    RETURN NULL;
END
$$ LANGUAGE plpgsql;
CREATE TRIGGER articles_update_update_forget_parts AFTER UPDATE ON articles_update REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION articles_update_update_forget_parts();"""

BACKWARD = """
DO $drop$
DECLARE found record;
BEGIN
    FOR found IN
        SELECT t.tgname, t.tgrelid::regclass AS tbl, t.tgfoid::regprocedure AS fn
        FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid
        WHERE NOT t.tgisinternal AND t.tgname LIKE '%_forget_parts'
        AND c.relnamespace = current_schema()::regnamespace
    LOOP
        EXECUTE format('DROP TRIGGER %I ON %s', found.tgname, found.tbl);
        EXECUTE format('DROP FUNCTION IF EXISTS %s', found.fn);
    END LOOP;
END $drop$;

CREATE FUNCTION articles_article_forget_parts() RETURNS trigger AS $$
DECLARE
    shown articles_article;
BEGIN
    shown := NEW; shown.card_parts := OLD.card_parts; shown.story_parts := OLD.story_parts; shown.search_vector := OLD.search_vector; shown.related_ids := OLD.related_ids;
    IF NEW.parts_generation IS DISTINCT FROM OLD.parts_generation OR shown IS DISTINCT FROM OLD THEN
        NEW.card_parts := NULL;
        NEW.story_parts := NULL;
        NEW.parts_generation := OLD.parts_generation + 1;
    END IF;
    RETURN NEW;
END $$ LANGUAGE plpgsql;
CREATE TRIGGER articles_article_forget_parts BEFORE UPDATE ON articles_article FOR EACH ROW EXECUTE FUNCTION articles_article_forget_parts();
CREATE FUNCTION articles_article_tags_delete_forget_parts() RETURNS trigger AS $$
BEGIN
    UPDATE articles_article
SET card_parts = NULL, story_parts = NULL, parts_generation = parts_generation + 1
WHERE id IN (SELECT article_id FROM old_rows) AND (card_parts IS NOT NULL OR story_parts IS NOT NULL);
    RETURN NULL;
END $$ LANGUAGE plpgsql;
CREATE TRIGGER articles_article_tags_delete_forget_parts AFTER DELETE ON articles_article_tags REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION articles_article_tags_delete_forget_parts();
CREATE FUNCTION articles_article_tags_insert_forget_parts() RETURNS trigger AS $$
BEGIN
    UPDATE articles_article
SET card_parts = NULL, story_parts = NULL, parts_generation = parts_generation + 1
WHERE id IN (SELECT article_id FROM new_rows) AND (card_parts IS NOT NULL OR story_parts IS NOT NULL);
    RETURN NULL;
END $$ LANGUAGE plpgsql;
CREATE TRIGGER articles_article_tags_insert_forget_parts AFTER INSERT ON articles_article_tags REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION articles_article_tags_insert_forget_parts();
CREATE FUNCTION articles_article_tags_update_forget_parts() RETURNS trigger AS $$
BEGIN
    UPDATE articles_article
SET card_parts = NULL, story_parts = NULL, parts_generation = parts_generation + 1
WHERE id IN (SELECT article_id FROM new_rows UNION SELECT article_id FROM old_rows) AND (card_parts IS NOT NULL OR story_parts IS NOT NULL);
    RETURN NULL;
END $$ LANGUAGE plpgsql;
CREATE TRIGGER articles_article_tags_update_forget_parts AFTER UPDATE ON articles_article_tags REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION articles_article_tags_update_forget_parts();
CREATE FUNCTION articles_author_update_forget_parts() RETURNS trigger AS $$
BEGIN
    UPDATE articles_article
SET card_parts = NULL, story_parts = NULL, parts_generation = parts_generation + 1
WHERE id IN (SELECT b.article_id FROM articles_byline b JOIN new_rows r ON b.author_id = r.id UNION SELECT b.article_id FROM articles_byline b JOIN old_rows r ON b.author_id = r.id) AND (card_parts IS NOT NULL OR story_parts IS NOT NULL);
    RETURN NULL;
END $$ LANGUAGE plpgsql;
CREATE TRIGGER articles_author_update_forget_parts AFTER UPDATE ON articles_author REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION articles_author_update_forget_parts();
CREATE FUNCTION articles_byline_delete_forget_parts() RETURNS trigger AS $$
BEGIN
    UPDATE articles_article
SET card_parts = NULL, story_parts = NULL, parts_generation = parts_generation + 1
WHERE id IN (SELECT article_id FROM old_rows) AND (card_parts IS NOT NULL OR story_parts IS NOT NULL);
    RETURN NULL;
END $$ LANGUAGE plpgsql;
CREATE TRIGGER articles_byline_delete_forget_parts AFTER DELETE ON articles_byline REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION articles_byline_delete_forget_parts();
CREATE FUNCTION articles_byline_insert_forget_parts() RETURNS trigger AS $$
BEGIN
    UPDATE articles_article
SET card_parts = NULL, story_parts = NULL, parts_generation = parts_generation + 1
WHERE id IN (SELECT article_id FROM new_rows) AND (card_parts IS NOT NULL OR story_parts IS NOT NULL);
    RETURN NULL;
END $$ LANGUAGE plpgsql;
CREATE TRIGGER articles_byline_insert_forget_parts AFTER INSERT ON articles_byline REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION articles_byline_insert_forget_parts();
CREATE FUNCTION articles_byline_update_forget_parts() RETURNS trigger AS $$
BEGIN
    UPDATE articles_article
SET card_parts = NULL, story_parts = NULL, parts_generation = parts_generation + 1
WHERE id IN (SELECT article_id FROM new_rows UNION SELECT article_id FROM old_rows) AND (card_parts IS NOT NULL OR story_parts IS NOT NULL);
    RETURN NULL;
END $$ LANGUAGE plpgsql;
CREATE TRIGGER articles_byline_update_forget_parts AFTER UPDATE ON articles_byline REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION articles_byline_update_forget_parts();
CREATE FUNCTION articles_correction_delete_forget_parts() RETURNS trigger AS $$
BEGIN
    UPDATE articles_article
SET card_parts = NULL, story_parts = NULL, parts_generation = parts_generation + 1
WHERE id IN (SELECT article_id FROM old_rows) AND (card_parts IS NOT NULL OR story_parts IS NOT NULL);
    RETURN NULL;
END $$ LANGUAGE plpgsql;
CREATE TRIGGER articles_correction_delete_forget_parts AFTER DELETE ON articles_correction REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION articles_correction_delete_forget_parts();
CREATE FUNCTION articles_correction_insert_forget_parts() RETURNS trigger AS $$
BEGIN
    UPDATE articles_article
SET card_parts = NULL, story_parts = NULL, parts_generation = parts_generation + 1
WHERE id IN (SELECT article_id FROM new_rows) AND (card_parts IS NOT NULL OR story_parts IS NOT NULL);
    RETURN NULL;
END $$ LANGUAGE plpgsql;
CREATE TRIGGER articles_correction_insert_forget_parts AFTER INSERT ON articles_correction REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION articles_correction_insert_forget_parts();
CREATE FUNCTION articles_correction_update_forget_parts() RETURNS trigger AS $$
BEGIN
    UPDATE articles_article
SET card_parts = NULL, story_parts = NULL, parts_generation = parts_generation + 1
WHERE id IN (SELECT article_id FROM new_rows UNION SELECT article_id FROM old_rows) AND (card_parts IS NOT NULL OR story_parts IS NOT NULL);
    RETURN NULL;
END $$ LANGUAGE plpgsql;
CREATE TRIGGER articles_correction_update_forget_parts AFTER UPDATE ON articles_correction REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION articles_correction_update_forget_parts();
CREATE FUNCTION articles_image_update_forget_parts() RETURNS trigger AS $$
BEGIN
    UPDATE articles_article
SET card_parts = NULL, story_parts = NULL, parts_generation = parts_generation + 1
WHERE id IN (SELECT a.id FROM articles_article a JOIN new_rows r ON a.featured_image_id = r.id UNION SELECT p.article_id FROM articles_pullquote p JOIN articles_quote q ON p.quote_id = q.id JOIN articles_speaker s ON q.speaker_id = s.id JOIN new_rows r ON s.photo_id = r.id UNION SELECT a.id FROM articles_article a JOIN old_rows r ON a.featured_image_id = r.id UNION SELECT p.article_id FROM articles_pullquote p JOIN articles_quote q ON p.quote_id = q.id JOIN articles_speaker s ON q.speaker_id = s.id JOIN old_rows r ON s.photo_id = r.id) AND (card_parts IS NOT NULL OR story_parts IS NOT NULL);
    RETURN NULL;
END $$ LANGUAGE plpgsql;
CREATE TRIGGER articles_image_update_forget_parts AFTER UPDATE ON articles_image REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION articles_image_update_forget_parts();
CREATE FUNCTION articles_pullquote_delete_forget_parts() RETURNS trigger AS $$
BEGIN
    UPDATE articles_article
SET card_parts = NULL, story_parts = NULL, parts_generation = parts_generation + 1
WHERE id IN (SELECT article_id FROM old_rows) AND (card_parts IS NOT NULL OR story_parts IS NOT NULL);
    RETURN NULL;
END $$ LANGUAGE plpgsql;
CREATE TRIGGER articles_pullquote_delete_forget_parts AFTER DELETE ON articles_pullquote REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION articles_pullquote_delete_forget_parts();
CREATE FUNCTION articles_pullquote_insert_forget_parts() RETURNS trigger AS $$
BEGIN
    UPDATE articles_article
SET card_parts = NULL, story_parts = NULL, parts_generation = parts_generation + 1
WHERE id IN (SELECT article_id FROM new_rows) AND (card_parts IS NOT NULL OR story_parts IS NOT NULL);
    RETURN NULL;
END $$ LANGUAGE plpgsql;
CREATE TRIGGER articles_pullquote_insert_forget_parts AFTER INSERT ON articles_pullquote REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION articles_pullquote_insert_forget_parts();
CREATE FUNCTION articles_pullquote_update_forget_parts() RETURNS trigger AS $$
BEGIN
    UPDATE articles_article
SET card_parts = NULL, story_parts = NULL, parts_generation = parts_generation + 1
WHERE id IN (SELECT article_id FROM new_rows UNION SELECT article_id FROM old_rows) AND (card_parts IS NOT NULL OR story_parts IS NOT NULL);
    RETURN NULL;
END $$ LANGUAGE plpgsql;
CREATE TRIGGER articles_pullquote_update_forget_parts AFTER UPDATE ON articles_pullquote REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION articles_pullquote_update_forget_parts();
CREATE FUNCTION articles_quote_update_forget_parts() RETURNS trigger AS $$
BEGIN
    UPDATE articles_article
SET card_parts = NULL, story_parts = NULL, parts_generation = parts_generation + 1
WHERE id IN (SELECT p.article_id FROM articles_pullquote p JOIN new_rows r ON p.quote_id = r.id UNION SELECT p.article_id FROM articles_pullquote p JOIN old_rows r ON p.quote_id = r.id) AND (card_parts IS NOT NULL OR story_parts IS NOT NULL);
    RETURN NULL;
END $$ LANGUAGE plpgsql;
CREATE TRIGGER articles_quote_update_forget_parts AFTER UPDATE ON articles_quote REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION articles_quote_update_forget_parts();
CREATE FUNCTION articles_section_update_forget_parts() RETURNS trigger AS $$
BEGIN
    UPDATE articles_article
SET card_parts = NULL, story_parts = NULL, parts_generation = parts_generation + 1
WHERE id IN (SELECT a.id FROM articles_article a JOIN new_rows r ON a.section_id = r.id UNION SELECT a.id FROM articles_article a JOIN old_rows r ON a.section_id = r.id) AND (card_parts IS NOT NULL OR story_parts IS NOT NULL);
    RETURN NULL;
END $$ LANGUAGE plpgsql;
CREATE TRIGGER articles_section_update_forget_parts AFTER UPDATE ON articles_section REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION articles_section_update_forget_parts();
CREATE FUNCTION articles_speaker_update_forget_parts() RETURNS trigger AS $$
BEGIN
    UPDATE articles_article
SET card_parts = NULL, story_parts = NULL, parts_generation = parts_generation + 1
WHERE id IN (SELECT p.article_id FROM articles_pullquote p JOIN articles_quote q ON p.quote_id = q.id JOIN new_rows r ON q.speaker_id = r.id UNION SELECT p.article_id FROM articles_pullquote p JOIN articles_quote q ON p.quote_id = q.id JOIN old_rows r ON q.speaker_id = r.id) AND (card_parts IS NOT NULL OR story_parts IS NOT NULL);
    RETURN NULL;
END $$ LANGUAGE plpgsql;
CREATE TRIGGER articles_speaker_update_forget_parts AFTER UPDATE ON articles_speaker REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION articles_speaker_update_forget_parts();
CREATE FUNCTION articles_tag_update_forget_parts() RETURNS trigger AS $$
BEGIN
    UPDATE articles_article
SET card_parts = NULL, story_parts = NULL, parts_generation = parts_generation + 1
WHERE id IN (SELECT t.article_id FROM articles_article_tags t JOIN new_rows r ON t.tag_id = r.id UNION SELECT t.article_id FROM articles_article_tags t JOIN old_rows r ON t.tag_id = r.id) AND (card_parts IS NOT NULL OR story_parts IS NOT NULL);
    RETURN NULL;
END $$ LANGUAGE plpgsql;
CREATE TRIGGER articles_tag_update_forget_parts AFTER UPDATE ON articles_tag REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION articles_tag_update_forget_parts();
CREATE FUNCTION articles_update_delete_forget_parts() RETURNS trigger AS $$
BEGIN
    UPDATE articles_article
SET card_parts = NULL, story_parts = NULL, parts_generation = parts_generation + 1
WHERE id IN (SELECT article_id FROM old_rows) AND (card_parts IS NOT NULL OR story_parts IS NOT NULL);
    RETURN NULL;
END $$ LANGUAGE plpgsql;
CREATE TRIGGER articles_update_delete_forget_parts AFTER DELETE ON articles_update REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION articles_update_delete_forget_parts();
CREATE FUNCTION articles_update_insert_forget_parts() RETURNS trigger AS $$
BEGIN
    UPDATE articles_article
SET card_parts = NULL, story_parts = NULL, parts_generation = parts_generation + 1
WHERE id IN (SELECT article_id FROM new_rows) AND (card_parts IS NOT NULL OR story_parts IS NOT NULL);
    RETURN NULL;
END $$ LANGUAGE plpgsql;
CREATE TRIGGER articles_update_insert_forget_parts AFTER INSERT ON articles_update REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION articles_update_insert_forget_parts();
CREATE FUNCTION articles_update_update_forget_parts() RETURNS trigger AS $$
BEGIN
    UPDATE articles_article
SET card_parts = NULL, story_parts = NULL, parts_generation = parts_generation + 1
WHERE id IN (SELECT article_id FROM new_rows UNION SELECT article_id FROM old_rows) AND (card_parts IS NOT NULL OR story_parts IS NOT NULL);
    RETURN NULL;
END $$ LANGUAGE plpgsql;
CREATE TRIGGER articles_update_update_forget_parts AFTER UPDATE ON articles_update REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION articles_update_update_forget_parts();"""


class Migration(migrations.Migration):
    dependencies = [
        ("articles", "0021_unpublish_at"),
    ]

    operations = [migrations.RunSQL(FORWARD, BACKWARD)]
