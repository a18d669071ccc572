# syntax=docker/dockerfile:1
# One image for every process of the Procfile; compose.yaml picks the command.
#   docker build -t callback .
# BASE is any Debian-like image with python3 (3.11+) and its venv module; CI builds a
# stand-in from Debian's packages when Docker Hub cannot be reached (.ci/container).
ARG BASE=docker.io/library/python:3.11-slim-bookworm

FROM ${BASE} AS build
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1
RUN python3 -m venv /opt/callback
WORKDIR /src
# Dependencies first, so a code change does not reinstall them.
COPY pyproject.toml README.md ./
RUN mkdir -p callback webhooks workers \
 && touch callback/__init__.py webhooks/__init__.py workers/__init__.py \
 && /opt/callback/bin/pip install '.[postgres]' \
 && /opt/callback/bin/pip uninstall --yes callback \
 && rm -rf build callback webhooks workers ./*.egg-info  # else setuptools keeps the stubs
COPY callback callback
COPY webhooks webhooks
COPY workers workers
# Not editable: the final image holds the installed package, not the source tree.
RUN /opt/callback/bin/pip install --no-deps '.[postgres]'

FROM ${BASE}
RUN useradd --create-home --home-dir /home/callback --uid 10001 --shell /usr/sbin/nologin callback
COPY --from=build /opt/callback /opt/callback
COPY gunicorn.conf.py wsgi.py /app/
WORKDIR /app
ENV PATH=/opt/callback/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    CALLBACK_ENV=production \
    CALLBACK_INSTANCE_DIR=/home/callback/instance \
    PORT=5000
USER callback
EXPOSE 5000
# /healthz answers once the process serves; /readyz (database, Redis, workers) is for the
# load balancer, which should not restart a web process because Redis is away.
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
  CMD ["python3", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/healthz' % os.environ.get('PORT', '5000'), timeout=4)"]
# The Procfile's web process; compose.yaml runs the others from the same image:
#   callback worker --queue calls | callback worker --queue integrations | callback cron
#   callback db upgrade (the release step, before the others start)
CMD ["sh", "-c", "exec gunicorn --config gunicorn.conf.py --bind 0.0.0.0:${PORT} --workers ${WEB_CONCURRENCY:-2} --threads 4 --preload wsgi:app"]
