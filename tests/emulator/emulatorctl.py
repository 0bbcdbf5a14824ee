"""Start, stop and borrow the local AWS emulator.

    emulatorctl.py start [--port P]   run it in the background (pid file and log in .emulator/)
    emulatorctl.py stop               stop the one ``start`` left running
    emulatorctl.py run -- CMD ...     run CMD against an emulator of its own on a free port,
                                      stopped afterwards; CMD sees MLPERIMETER_EMULATOR_URL
"""

import argparse
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
STATE = REPO / ".emulator"
PID_FILE = STATE / "emulator.pid"
LOG_FILE = STATE / "emulator.log"


def _healthy(url):
    try:
        with urllib.request.urlopen(f"{url}/_emulator/health", timeout=2) as answer:
            return answer.status == 200
    except OSError:
        return False


def _wait(url, process, timeout=60):
    """Until the emulator answers; False if it exits first (say, the port is taken) or never does."""
    deadline = time.monotonic() + timeout
    while process.poll() is None:
        if _healthy(url):
            return process.poll() is None
        if time.monotonic() > deadline:
            return False
        time.sleep(0.2)
    return False


def _spawn(port, log):
    env = dict(os.environ, PYTHONPATH=str(HERE))
    return subprocess.Popen(
        [sys.executable, "-m", "mlperimeter_emulator", "--port", str(port)],
        env=env, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True,
    )


def _running_pid():
    try:
        pid = int(PID_FILE.read_text())
        os.kill(pid, 0)
        return pid
    except (OSError, ValueError):
        return None


def start(port):
    url = f"http://127.0.0.1:{port}"
    if _running_pid() and _healthy(url):
        print(f"emulator already running on {url}")
        return 0
    STATE.mkdir(exist_ok=True)
    with open(LOG_FILE, "ab") as log:
        process = _spawn(port, log)
    if not _wait(url, process):
        process.kill()
        print(f"emulator did not start on {url}; see {LOG_FILE}", file=sys.stderr)
        return 1
    PID_FILE.write_text(str(process.pid))
    print(f"emulator running on {url} (pid {process.pid}, log {LOG_FILE.relative_to(REPO)})")
    return 0


def stop():
    pid = _running_pid()
    if pid is None:
        print("emulator not running")
        PID_FILE.unlink(missing_ok=True)
        return 0
    os.kill(pid, signal.SIGTERM)
    for _ in range(50):
        try:
            os.kill(pid, 0)
        except OSError:
            break
        time.sleep(0.1)
    else:
        os.kill(pid, signal.SIGKILL)
    PID_FILE.unlink(missing_ok=True)
    print(f"emulator stopped (pid {pid})")
    return 0


def run(command):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    url = f"http://127.0.0.1:{port}"
    STATE.mkdir(exist_ok=True)
    log_path = STATE / f"emulator-{port}.log"
    with open(log_path, "wb") as log:
        process = _spawn(port, log)
    try:
        if not _wait(url, process):
            print(f"emulator did not start on {url}; see {log_path}", file=sys.stderr)
            return 1
        env = dict(os.environ, MLPERIMETER_EMULATOR_URL=url, MLPERIMETER_EMULATOR_PORT=str(port))
        return subprocess.call(command, env=env)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="action", required=True)
    start_parser = sub.add_parser("start")
    start_parser.add_argument("--port", type=int, default=int(os.environ.get("MLPERIMETER_EMULATOR_PORT", "4566")))
    sub.add_parser("stop")
    run_parser = sub.add_parser("run")
    run_parser.add_argument("command", nargs=argparse.REMAINDER)
    args = parser.parse_args(argv)
    if args.action == "start":
        return start(args.port)
    if args.action == "stop":
        return stop()
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    if not command:
        parser.error("run needs a command")
    return run(command)


if __name__ == "__main__":
    sys.exit(main())
