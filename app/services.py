"""The Flask side of the service assembly: each app holds one ``Services`` (built in
workers/assembly.py) and views reach it with ``services()``."""

from __future__ import annotations

from flask import Flask, current_app

from workers.assembly import Services

EXTENSION = "jippnas"


def init_services(app: Flask, services: Services) -> None:
    app.extensions[EXTENSION] = services
    app.extensions["celery"] = services.celery


def services() -> Services:
    return current_app.extensions[EXTENSION]
