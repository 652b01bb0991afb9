FROM python:3.13-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /app

RUN useradd --system --create-home --uid 1000 newsroom

# PostgreSQL's client programs, for manage.py backup and restore (pg_dump, pg_restore,
# psql): Debian's, at least as new as the postgres:16 server in docker-compose.yml.
RUN apt-get update \
    && apt-get install -y --no-install-recommends postgresql-client \
    && rm -rf /var/lib/apt/lists/* \
    && mkdir -p /app/backups && chown newsroom:newsroom /app/backups

COPY requirements.txt .
RUN pip install -r requirements.txt

COPY . .

# collectstatic reads settings but never connects: a placeholder URL stands in for the
# real one (the image has no embedded PostgreSQL: it is a development requirement).
RUN SECRET_KEY=collectstatic-only DATABASE_URL=postgres://build@localhost/build \
    python manage.py collectstatic --noinput \
    && mkdir -p /app/media && chown newsroom:newsroom /app/media

USER newsroom
EXPOSE 8000

HEALTHCHECK --interval=30s --timeout=3s --retries=3 \
    CMD python -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=2)"

# Threads beside the processes: a slow request (a photo being resized) holds one
# thread, not a whole worker, so health checks and readers keep being answered.
CMD ["sh", "-c", "python manage.py migrate --noinput && exec gunicorn newsroom.wsgi --bind 0.0.0.0:8000 --workers ${WEB_CONCURRENCY:-2} --threads ${WEB_THREADS:-4} --access-logfile -"]
