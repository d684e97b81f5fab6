"""Start tuspyserver (a second, independent tus 1.0 server: FastAPI, PyPI `tuspyserver`) on
127.0.0.1 for Ferry's tests. Usage: python tuspy_server.py <port> <directory>. Prints
"listening <port>" once ready. Uploads live under /files/ and are stored in <directory>."""

import socket
import sys

import uvicorn
from fastapi import FastAPI
from tuspyserver import create_tus_router


def main() -> None:
    port, directory = int(sys.argv[1]), sys.argv[2]
    app = FastAPI()
    app.include_router(create_tus_router(prefix="files", files_dir=directory))
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", port))
    # Listen before saying so: a bound socket that is not yet listening refuses connections,
    # and uvicorn only listens once its event loop has started (a race a test once lost).
    sock.listen(128)
    print(f"listening {sock.getsockname()[1]}", flush=True)
    config = uvicorn.Config(app, log_level="warning")
    uvicorn.Server(config).run(sockets=[sock])


if __name__ == "__main__":
    main()
