"""Celery app and tasks: ingest jobs, reindex and delete, with job progress and errors."""
