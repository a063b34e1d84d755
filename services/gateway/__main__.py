import uvicorn

from shared.service import configure_logging
from shared.settings import GatewaySettings

from .app import create_app

settings = GatewaySettings()  # fails fast, naming any missing variable
configure_logging(settings)
uvicorn.run(create_app(settings), host=settings.host, port=settings.port, log_level="warning", proxy_headers=False)
