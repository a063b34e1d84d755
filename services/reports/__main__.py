from shared.service import run
from shared.settings import ReportsSettings

from .app import create_app

run(create_app, ReportsSettings)
