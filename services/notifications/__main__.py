from shared.service import run
from shared.settings import NotificationsSettings

from .app import create_app

run(create_app, NotificationsSettings)
