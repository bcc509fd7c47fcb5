# One image for web, worker and beat (see docker-compose.yml).
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 DJANGO_DEBUG=false
WORKDIR /app

COPY requirements.txt .
RUN pip install --no-cache-dir -r requirements.txt

COPY . .
RUN DJANGO_SECRET_KEY=build-only python manage.py collectstatic --noinput \
    && useradd --system --uid 1000 app && mkdir -p /app/var && chown -R app /app/var
USER app

EXPOSE 8000
# gthread: WEB_CONCURRENCY processes (one per core) of four threads each. A thread waiting on the
# database, or on a client still sending its request, does not hold a whole process (sync
# workers did: under `make soak` they idled waiting for request bytes while requests queued).
# --limit-request-line: the API's documented query filters fit (gunicorn's default is 4094 bytes).
ENV WEB_CONCURRENCY=2
CMD ["gunicorn", "config.wsgi", "--bind", "0.0.0.0:8000", "--worker-class", "gthread", "--threads", "4", "--limit-request-line", "8190", "--access-logfile", "-"]
