"""`python -m handoff` serves the handoff service with uvicorn."""

import gc
import sys

import uvicorn

from handoff import logs
from handoff.app import create_app
from handoff.settings import InvalidSettings, load_settings


def main() -> None:
    try:
        settings = load_settings()
    except InvalidSettings as error:
        sys.exit(str(error))
    logs.configure(settings.log_format)
    app = create_app(settings)
    # What start-up made (the libraries, the app) lives as long as the process: out of the
    # collector's full passes, which otherwise stopped the event loop for ~90 ms at a time under
    # load (bench/README.md). Objects made later are collected as before.
    gc.collect()
    gc.freeze()
    # proxy_headers: the app reads X-Forwarded-For itself, from HANDOFF_TRUSTED_PROXIES only
    # (uvicorn's would trust any local peer's)
    uvicorn.run(app, host=settings.host, port=settings.port, log_level="info",
                log_config=None, ws_max_size=settings.max_frame_bytes, proxy_headers=False)


if __name__ == "__main__":
    main()
