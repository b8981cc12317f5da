"""Entry point of worker processes: `celery -A workers.worker worker`.

The worker builds its services with the same assembly and settings as the web app.
"""

from indexer.settings import Settings
from workers.assembly import Services

celery = Services(Settings.from_env()).celery
