# One image for both roles: `rasa` (the Rasa server) and `actions` (the action server),
# chosen by the argument of deploy/entrypoint.sh. The model is trained while building.
#   docker build -t aliexpress-assistant .
FROM python:3.10-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 \
    RASA_TELEMETRY_ENABLED=false HOME=/app
RUN apt-get update \
    && apt-get install -y --no-install-recommends build-essential libpq5 \
    && rm -rf /var/lib/apt/lists/*

WORKDIR /app
COPY requirements.lock ./
RUN pip install --upgrade pip==24.0 && pip install -r requirements.lock

COPY config.yml domain.yml credentials.yml endpoints.yml endpoints.prod.yml ./
COPY data ./data
COPY parsing ./parsing
COPY components ./components
COPY policies ./policies
COPY knowledge ./knowledge
COPY actions ./actions
COPY channels ./channels
COPY stores ./stores
COPY rasa_patches ./rasa_patches
COPY web ./web
COPY deploy/entrypoint.sh ./deploy/entrypoint.sh

RUN PYTHONPATH=/app python -m rasa_patches train --fixed-model-name aliexpress --out models \
    && useradd --create-home --uid 1001 rasa && chown -R rasa /app
USER 1001

EXPOSE 5005 5055
ENTRYPOINT ["/app/deploy/entrypoint.sh"]
CMD ["rasa"]
