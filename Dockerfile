# syntax=docker/dockerfile:1
# Multi-stage: build a virtualenv with the project, then copy it into a slim runtime.

FROM python:3.11-slim AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /src
RUN python -m venv /opt/venv
ENV PATH="/opt/venv/bin:$PATH"
COPY pyproject.toml README.md ./
COPY bot ./bot
COPY handlers ./handlers
COPY db ./db
RUN pip install --no-cache-dir .

FROM python:3.11-slim AS runtime
ENV PYTHONUNBUFFERED=1 PYTHONDONTWRITEBYTECODE=1 PATH="/opt/venv/bin:$PATH"
RUN groupadd --system --gid 10001 bot \
    && useradd --system --uid 10001 --gid bot --home-dir /app --shell /usr/sbin/nologin bot
WORKDIR /app
COPY --from=build /opt/venv /opt/venv
# The gettext catalogues are read at start-up (compiled in memory), next to the code.
COPY --chown=10001:10001 locales ./locales
RUN mkdir -p /app/data && chown 10001:10001 /app/data
USER 10001:10001
VOLUME ["/app/data"]
# 8443: WEBHOOK_PORT (webhook mode: the webhook, /healthz, /metrics);
# 9090: METRICS_PORT (polling mode: /healthz, /metrics).
EXPOSE 8443 9090
# `run` migrates the database on start (replicas on PostgreSQL take turns), then serves:
# polling, or webhook mode when WEBHOOK_URL is set. On SIGTERM it stops taking updates and
# finishes those in flight (up to the panel's `add` timeout): give it a grace period of
# 90 s (`docker stop -t 90`, compose's stop_grace_period).
# The healthcheck asks the running bot's GET /healthz (database and Redis reachable).
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
    CMD ["python", "-m", "bot", "healthcheck"]
STOPSIGNAL SIGTERM
ENTRYPOINT ["python", "-m", "bot"]
CMD ["run"]
