# hrbot: an image that runs `hrbot run` as a non-root user, with the content read-only and the data on a volume.
#
#   docker build -t hrbot .
#   docker run -d --name hrbot -e TELEGRAM_BOT_TOKEN=... -v hrbot-data:/data --read-only --tmpfs /tmp hrbot
#
# Polling by default (no public address needed). For webhook workers behind a proxy and PostgreSQL, see
# deploy/compose.yaml and docs/operating.md. Every `hrbot run` flag has an environment variable (hrbot run --help).
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /app
# The code first (the layer changes less often than the content), installed with the PostgreSQL driver.
COPY pyproject.toml README.md LICENSE ./
COPY bot ./bot
RUN pip install ".[postgres]" && rm -rf /root/.cache

# The content: owned by root and read-only, so the bot cannot change what it tells people.
COPY knowledge ./knowledge
COPY dialogues ./dialogues
RUN chmod -R a-w /app/knowledge /app/dialogues \
    && useradd --system --uid 10001 --user-group --create-home --home-dir /home/hrbot --shell /usr/sbin/nologin hrbot \
    && install -d -o hrbot -g hrbot -m 0700 /data

USER hrbot
ENV HRBOT_CONTENT=/app \
    DATABASE_URL=/data/hrbot.db \
    HRBOT_LISTEN=0.0.0.0 \
    HRBOT_PORT=8443 \
    HRBOT_METRICS_LISTEN=0.0.0.0 \
    HRBOT_METRICS_PORT=9100
# Check the content and build the matching model's cache now, so a worker starts in seconds.
RUN hrbot validate && hrbot match < /dev/null

# Sessions and counters (SQLite) and the generated pepper live here; with PostgreSQL only the pepper, unless
# HRBOT_PEPPER_FILE names a secret (every worker must share one pepper).
VOLUME ["/data"]
WORKDIR /data
EXPOSE 8443 9100
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/metrics' % os.environ['HRBOT_METRICS_PORT'], timeout=4)"]
STOPSIGNAL SIGTERM
ENTRYPOINT ["hrbot"]
CMD ["run"]
