# Signoff: the same lock file and the same entry point as `make run`.
#   docker build -t signoff .
#   docker run -p 3978:3978 --env-file .env signoff
FROM python:3.11-slim

# The uv version pinned in the Makefile (UV_VERSION); no interpreter is downloaded.
ARG UV_VERSION=0.13.9
ENV UV_PYTHON_DOWNLOADS=never \
    UV_PROJECT_ENVIRONMENT=/app/.venv \
    UV_COMPILE_BYTECODE=1 \
    UV_LINK_MODE=copy \
    PYTHONUNBUFFERED=1
RUN pip install --no-cache-dir "uv==${UV_VERSION}"

WORKDIR /app
# Dependencies first (a layer that changes only with the lock file), then the code.
COPY pyproject.toml uv.lock ./
RUN uv sync --frozen --no-dev --no-install-project --python /usr/local/bin/python3
COPY . .
RUN uv sync --frozen --no-dev --python /usr/local/bin/python3

# Not root. ./var holds the SQLite file when DATABASE_URL is not set (one replica only).
RUN useradd --system --uid 10001 --home-dir /app signoff \
    && mkdir -p /app/var && chown signoff /app/var
USER signoff

ENV PORT=3978
EXPOSE 3978
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
    CMD ["/app/.venv/bin/python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/healthz' % os.environ.get('PORT', '3978'), timeout=4)"]

# `make run` is `uv run --frozen --no-sync python app.py`: the same interpreter and entry point.
CMD ["/app/.venv/bin/python", "app.py"]
