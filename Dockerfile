# Image for the web app and the Celery worker (same code, different command).
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    HF_HUB_OFFLINE=1 \
    TRANSFORMERS_OFFLINE=1 \
    JIPPNAS_DATA_DIR=/data

WORKDIR /srv/jippnas
# CPU-only torch first: the default wheel from PyPI pulls several GB of CUDA libraries.
RUN pip install --index-url https://download.pytorch.org/whl/cpu "torch>=2.2"
COPY pyproject.toml README.md ./
COPY app ./app
COPY indexer ./indexer
COPY ranking ./ranking
COPY workers ./workers
RUN pip install . \
    && useradd --system --home-dir /srv/jippnas jippnas \
    && mkdir -p /data && chown jippnas /data
USER jippnas

EXPOSE 8000
CMD ["jippnas", "serve", "--host", "0.0.0.0", "--port", "8000"]
