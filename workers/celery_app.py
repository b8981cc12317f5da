"""One Celery app per process, configured from the same settings as the web app.

With JIPPNAS_REDIS_URL set, Redis is broker and result store and tasks run in worker
processes (`celery -A workers.worker worker`). Without it, tasks run in process, so
the embedded default needs no servers at all.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

from celery import Celery, Task

from indexer.settings import Settings

if TYPE_CHECKING:
    from workers.assembly import Services

# Tasks that wait out an unreachable engine; their retry budget is a setting.
RETRIED = ("jippnas.ingest_chunk", "jippnas.delete_innovations")


class ServiceCelery(Celery):
    """A Celery app that carries its process's services, so tasks need no web app."""

    def __init__(self, services: Services) -> None:
        super().__init__("jippnas")
        self.services = services


def celery_config(settings: Settings) -> dict[str, object]:
    budget = {"max_retries": settings.task_max_retries}
    common = {"task_annotations": dict.fromkeys(RETRIED, budget)}
    if not settings.redis_url:
        return common | {"task_always_eager": True, "task_eager_propagates": True}
    return common | {
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


def make_celery(services: Services) -> Celery:
    import workers.tasks  # noqa: F401 - registers the tasks with every Celery app

    celery = ServiceCelery(services)
    celery.conf.update(celery_config(services.settings))
    return celery


def services_of(task: Task) -> Services:
    """The services of the Celery app a task runs in."""
    return cast(ServiceCelery, task.app).services
