from shared.service import run
from shared.settings import NoticesSettings

from .app import create_app

run(create_app, NoticesSettings)
