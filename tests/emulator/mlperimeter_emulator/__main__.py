"""``python -m mlperimeter_emulator [--host H] [--port P]``: serve the emulator."""

import argparse
import os

from moto.moto_server.werkzeug_app import MotoRequestHandler
from werkzeug.serving import run_simple

from .server import EmulatorApplication


def main(argv=None):
    parser = argparse.ArgumentParser(prog="mlperimeter_emulator", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=int(os.environ.get("MLPERIMETER_EMULATOR_PORT", "4566")))
    args = parser.parse_args(argv)
    os.environ.setdefault("MOTO_PORT", str(args.port))
    run_simple(args.host, args.port, EmulatorApplication(), threaded=True, request_handler=MotoRequestHandler)


if __name__ == "__main__":
    main()
