# One image for web, worker and beat (see docker-compose.yml).
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 DJANGO_DEBUG=false
WORKDIR /app

# WeasyPrint (the print view's PDF) draws text with pango and needs fonts with 汉字.
RUN apt-get update \
    && apt-get install -y --no-install-recommends libpango-1.0-0 libpangoft2-1.0-0 fonts-noto-cjk \
    && rm -rf /var/lib/apt/lists/*

COPY requirements.txt .
RUN pip install --no-cache-dir -r requirements.txt

COPY . .
RUN DJANGO_SECRET_KEY=build-only python manage.py collectstatic --noinput \
    && useradd --system --uid 1000 app && mkdir -p /app/var && chown -R app /app/var
USER app

EXPOSE 8000
# granian (config/server.py): WEB_CONCURRENCY processes (one per core) of WEB_THREADS Django
# threads; HTTP is read and written outside the GIL, so a slow client never holds a thread.
ENV WEB_CONCURRENCY=2 WEB_THREADS=2 WEB_ACCESS_LOG=1
CMD ["python", "-m", "config.server"]
