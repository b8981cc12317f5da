"""One Celery app configured from the same settings as the web app (Flask's pattern).

With JIPPNAS_REDIS_URL set, Redis is broker and result store and tasks run in worker
processes (`celery -A workers.worker worker`). Without it, tasks run in process, so
the embedded default needs no servers at all.
"""

from __future__ import annotations

from celery import Celery, Task
from flask import Flask

from indexer.settings import Settings


def celery_config(settings: Settings) -> dict[str, object]:
    if not settings.redis_url:
        return {"task_always_eager": True, "task_eager_propagates": True}
    return {
        "broker_url": settings.redis_url,
        "result_backend": settings.redis_url,
        # Never lose a chunk: acknowledge after it ran, requeue it if the worker dies.
        "task_acks_late": True,
        "task_reject_on_worker_lost": True,
        "worker_prefetch_multiplier": 1,
        "broker_transport_options": {"visibility_timeout": settings.task_visibility_timeout},
        "broker_connection_retry_on_startup": True,
        "broker_connection_timeout": 3,
        "task_ignore_result": True,
    }


def celery_init_app(app: Flask) -> Celery:
    """Attach a Celery app whose tasks run inside this Flask app's context."""

    class FlaskTask(Task):
        def __call__(self, *args: object, **kwargs: object) -> object:
            with app.app_context():
                return self.run(*args, **kwargs)

    celery = Celery(app.name, task_cls=FlaskTask)
    celery.conf.update(celery_config(app.extensions["jippnas"].settings))
    celery.set_default()
    app.extensions["celery"] = celery
    return celery
