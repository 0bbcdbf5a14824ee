"""Start, reach and drive the local AWS emulator from tests."""

import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import boto3
from botocore.config import Config

REPO = Path(__file__).resolve().parents[2]
EMULATOR_PATH = REPO / "tests" / "emulator"
BOOTSTRAP_KEY = "mlperimeter-bootstrap"
DEPLOY_ROLE = "mlperimeter-deploy"


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until_up(url, timeout=60):
    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(f"{url}/_emulator/health", timeout=2) as answer:
                if answer.status == 200:
                    return
        except OSError:
            if time.monotonic() > deadline:
                raise
        time.sleep(0.2)


class EmulatorProcess:
    """An emulator of the tests' own on a free port, stopped when they end."""

    def __init__(self, log_path):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        env = dict(os.environ, PYTHONPATH=str(EMULATOR_PATH))
        self.log = open(log_path, "wb")  # noqa: SIM115 - closed in stop()
        self.process = subprocess.Popen(
            [sys.executable, "-m", "mlperimeter_emulator", "--port", str(self.port)],
            env=env, stdout=self.log, stderr=subprocess.STDOUT,
        )
        wait_until_up(self.url)

    def stop(self):
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
        self.log.close()


class Emulator:
    """A running emulator: clients in any account, the call log and fault injection."""

    def __init__(self, url):
        self.url = url.rstrip("/")
        self._credentials = {}
        self._fault_ids = []
        self._calls_since = 0.0

    def _control(self, method, route, payload=None):
        data = json.dumps(payload).encode() if payload is not None else None
        request = urllib.request.Request(f"{self.url}/_emulator/{route}", data=data, method=method)
        request.add_header("Content-Type", "application/json")
        with urllib.request.urlopen(request, timeout=30) as answer:
            return json.load(answer)

    def calls(self):
        """The call log from this client's last ``reset_calls()`` on."""
        return [call for call in self._control("GET", "calls")["calls"] if call["time"] >= self._calls_since]

    def reset_calls(self):
        """Start this client's view of the call log afresh. The log itself is shared by the test workers, so
        it is not emptied: a worker clearing it would take calls from under another worker's assertions."""
        self._calls_since = time.time()

    def add_fault(self, **spec):
        answer = self._control("POST", "faults", spec)
        self._fault_ids.append(answer["fault"]["id"])
        return answer

    def clear_faults(self):
        """Remove the faults this client added; other test workers' faults in the same emulator stay."""
        while self._fault_ids:
            try:
                self._control("DELETE", f"faults/{self._fault_ids[-1]}")
            except urllib.error.HTTPError as error:
                if error.code != 404:
                    raise
            self._fault_ids.pop()

    def credentials(self, account_id):
        """Credentials of the deploy role in an account, assumed as an operator would."""
        if account_id not in self._credentials:
            sts = boto3.client(
                "sts", endpoint_url=self.url, region_name="us-east-1",
                aws_access_key_id=BOOTSTRAP_KEY, aws_secret_access_key=BOOTSTRAP_KEY,
            )
            answer = sts.assume_role(
                RoleArn=f"arn:aws:iam::{account_id}:role/{DEPLOY_ROLE}", RoleSessionName="mlperimeter-tests"
            )["Credentials"]
            self._credentials[account_id] = answer
        return self._credentials[account_id]

    def client(self, service, account_id, region="eu-west-1", retries=0):
        creds = self.credentials(account_id)
        return boto3.client(
            service,
            endpoint_url=self.url,
            region_name=region,
            aws_access_key_id=creds["AccessKeyId"],
            aws_secret_access_key=creds["SecretAccessKey"],
            aws_session_token=creds["SessionToken"],
            config=Config(retries={"total_max_attempts": retries + 1, "mode": "standard"}),
        )
