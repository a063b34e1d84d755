from shared.service import run
from shared.settings import SubmissionsSettings

from .app import create_app

run(create_app, SubmissionsSettings)
