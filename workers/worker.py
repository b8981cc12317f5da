"""Entry point of worker processes: `celery -A workers.worker worker`.

The worker builds its services with the same assembly and settings as the web app, and
logs JSON lines (workers/logs.py).
"""

from celery.signals import setup_logging

from indexer.settings import Settings
from workers import logs
from workers.assembly import Services

celery = Services(Settings.from_env()).celery


@setup_logging.connect
def _json_logs(**_: object) -> None:
    """Workers log JSON lines, each with the request id of the job's submission."""
    logs.configure()
