"""Entry point of worker processes: `celery -A workers.worker worker`.

The worker is built by the same factory as the web app, so both read the same settings.
"""

from app import create_app

flask_app = create_app()
celery = flask_app.extensions["celery"]
