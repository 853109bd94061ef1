"""Processes the benchmark starts and measures: the test index, the latency proxy, and one
measured run of a command (wall time from the parent, CPU and peak RSS from the kernel's
rusage of that child alone, as `/usr/bin/time -v` reports them)."""

from __future__ import annotations

import base64
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

TOKEN = "bench-secret-token"
TIME = "/usr/bin/time"  # GNU time (Debian package `time`)


@dataclass
class Sample:
    """One measured run."""

    wall: float
    user: float
    sys: float
    max_rss_kib: int
    code: int
    extra: dict = field(default_factory=dict)

    @property
    def cpu(self) -> float:
        return self.user + self.sys


def measure(argv: list[str], env: dict | None = None, cwd: Path | None = None,
            log: Path | None = None) -> Sample:
    """Runs `argv` to completion; stdout/stderr go to `log` (or nowhere).

    CPU and peak RSS come from `/usr/bin/time`, not from this process's wait4: a child
    forked (or vforked) from Python inherits Python's RSS high-water mark until it execs,
    so its ru_maxrss would never read below ~20 MB whatever the tool really uses."""
    if not os.path.exists(TIME):
        return _measure_wait4(argv, env, cwd, log)
    out = open(log, "ab") if log else subprocess.DEVNULL
    with tempfile.NamedTemporaryFile("r", prefix="time-", suffix=".txt") as usage:
        try:
            start = time.perf_counter()
            code = subprocess.call([TIME, "-q", "-o", usage.name, "-f", "%U %S %M", *argv],
                                   env=env, cwd=cwd, stdout=out, stderr=out,
                                   stdin=subprocess.DEVNULL)
            wall = time.perf_counter() - start
        finally:
            if log:
                out.close()
        user, sys_, rss = usage.read().split()[-3:]
    return Sample(wall, float(user), float(sys_), int(rss), code)


def _measure_wait4(argv, env, cwd, log) -> Sample:
    # Without GNU time: right for wall and CPU, peak RSS only an upper bound (see above).
    out = open(log, "ab") if log else subprocess.DEVNULL
    try:
        start = time.perf_counter()
        proc = subprocess.Popen(argv, env=env, cwd=cwd, stdout=out, stderr=out,
                                stdin=subprocess.DEVNULL)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
    finally:
        if log:
            out.close()
    return Sample(wall, usage.ru_utime, usage.ru_stime, usage.ru_maxrss,
                  os.waitstatus_to_exitcode(status))


def cpu_seconds(pid: int) -> float:
    """User + system CPU of a running process (to see what the index itself costs)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class Server:
    """A started child whose first stdout line names its address."""

    def __init__(self, argv: list[str], prefix: str, log: Path):
        self.log = log
        self.proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=open(log, "ab"),
                                     stdin=subprocess.DEVNULL, text=True)
        line = self.proc.stdout.readline().strip()
        if not line.startswith(prefix):
            self.stop()
            raise RuntimeError(f"{argv[0]} did not start ({line!r}); see {log}")
        self.address = line[len(prefix):].strip()

    def stop(self) -> str:
        """SIGTERM, then whatever it printed after its first line."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        try:
            rest, _ = self.proc.communicate(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            rest, _ = self.proc.communicate()
        return rest or ""


class Devpi:
    """A real devpi-server on a fresh server dir, with user `alice` and the non-volatile
    index `alice/stable` (as tests/it/common/servers.rs starts it)."""

    def __init__(self, venv: Path, work: Path, password: str):
        import socket
        self.dir = Path(tempfile.mkdtemp(prefix="devpi-", dir=work))
        subprocess.run([str(venv / "bin" / "devpi-init"), "--serverdir", str(self.dir),
                        "--root-passwd", "root-pw", "--no-root-pypi"],
                       check=True, capture_output=True)
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        self.proc = subprocess.Popen(
            [str(venv / "bin" / "devpi-server"), "--serverdir", str(self.dir),
             "--host", "127.0.0.1", "--port", str(port)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.url = f"http://127.0.0.1:{port}"
        for _ in range(900):
            try:
                urllib.request.urlopen(f"{self.url}/+api", timeout=2).close()
                break
            except OSError:
                time.sleep(0.1)
        auth = base64.b64encode(f"alice:{password}".encode()).decode()
        for path, body, headers in [
            ("/alice", {"password": password}, {}),
            ("/alice/stable", {"type": "stage", "bases": [], "volatile": False},
             {"Authorization": f"Basic {auth}"}),
        ]:
            req = urllib.request.Request(
                self.url + path, data=json.dumps(body).encode(), method="PUT",
                headers={"Content-Type": "application/json", "Accept": "application/json",
                         **headers})
            urllib.request.urlopen(req, timeout=30).close()
        self.upload_url = f"{self.url}/alice/stable/"
        self.simple_url = f"{self.url}/alice/stable/+simple/"

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        shutil.rmtree(self.dir, ignore_errors=True)

    def __enter__(self) -> Devpi:
        return self

    def __exit__(self, *exc) -> None:
        self.stop()


class Load:
    """Busy loops on every core (a loaded CI runner), for as long as it is entered."""

    def __enter__(self) -> Load:
        n = os.cpu_count() or 2
        self.procs = [subprocess.Popen([sys.executable, "-c", "while True: pass"])
                      for _ in range(n)]
        return self

    def __exit__(self, *exc) -> None:
        for p in self.procs:
            p.kill()
            p.wait()


class Index:
    """The test index on a fresh data dir, optionally behind the latency proxy."""

    def __init__(self, binaries: Path, work: Path, latency_ms: int = 0,
                 max_file_size: int | None = None, rate_mbit: int = 0):
        self.data = Path(tempfile.mkdtemp(prefix="index-", dir=work))
        argv = [str(binaries / "test-index"), "--bind", "127.0.0.1:0",
                "--data-dir", str(self.data), "--token", TOKEN]
        if max_file_size:
            argv += ["--max-file-size", str(max_file_size),
                     "--max-project-size", str(10 * max_file_size)]
        self.server = Server(argv, "test-index listening on", work / "test-index.log")
        self.direct = self.server.address.rstrip("/")
        self.binaries, self.work, self.latency_ms = binaries, work, latency_ms
        self.rate_mbit = rate_mbit
        self.proxy = None
        self.url = self.direct
        if latency_ms:
            self.restart_proxy()

    def restart_proxy(self) -> dict:
        """A fresh proxy (fresh counters); returns the old one's counts."""
        counts = self._stop_proxy()
        upstream = self.direct.removeprefix("http://")
        shaped = ["--rate-mbit", str(self.rate_mbit)] if self.rate_mbit else []
        self.proxy = Server([str(self.binaries / "latency-proxy"), "--upstream", upstream,
                             "--latency-ms", str(self.latency_ms), *shaped],
                            "latency-proxy listening on", self.work / "latency-proxy.log")
        self.url = f"http://{self.proxy.address}"
        return counts

    def _stop_proxy(self) -> dict:
        if not self.proxy:
            return {}
        words = self.proxy.stop().split()
        self.proxy = None
        # "latency-proxy: N connections, U bytes up, D bytes down"
        if len(words) < 8:
            return {}
        return {"connections": int(words[1]), "up": int(words[3]), "down": int(words[6])}

    @property
    def pid(self) -> int:
        return self.server.proc.pid

    def stats(self) -> dict:
        with urllib.request.urlopen(f"{self.direct}/_/stats", timeout=30) as r:
            return json.load(r)

    def reset_stats(self) -> None:
        req = urllib.request.Request(f"{self.direct}/_/reset-stats", method="POST")
        urllib.request.urlopen(req, timeout=30).close()

    def stop(self) -> dict:
        """Stops both; returns the proxy's connection count and bytes, when there is one."""
        counts = self._stop_proxy()
        self.server.stop()
        shutil.rmtree(self.data, ignore_errors=True)
        return counts

    def __enter__(self) -> Index:
        return self

    def __exit__(self, *exc) -> None:
        self.stop()


class Sigstore:
    """The local Sigstore (tests/sigstore-mock: @sigstore/mock's Fulcio and Rekor v1 behind
    node:http), optionally behind the latency proxy, as the Sigstore a CI job reaches across
    the internet."""

    def __init__(self, binaries: Path, work: Path, latency_ms: int = 0):
        mock = Path(__file__).resolve().parent.parent / "tests" / "sigstore-mock"
        if not (mock / "node_modules" / "@sigstore" / "mock").exists():
            raise RuntimeError("tests/sigstore-mock has no node_modules: run scripts/dev-env")
        self.trust_root = Path(tempfile.mkdtemp(prefix="sigstore-", dir=work)) / "root.json"
        self.server = Server(["node", str(mock / "server.js"), "--trust-root",
                              str(self.trust_root)], "listening on", work / "sigstore.log")
        self.direct = self.server.address.rstrip("/")
        self.binaries, self.work, self.latency_ms = binaries, work, latency_ms
        self.proxy = None
        self.url = self.direct
        if latency_ms:
            self.restart_proxy()

    def restart_proxy(self) -> dict:
        """A fresh proxy (fresh counters); returns the old one's counts."""
        counts = self._stop_proxy()
        self.proxy = Server([str(self.binaries / "latency-proxy"), "--upstream",
                             self.direct.removeprefix("http://"),
                             "--latency-ms", str(self.latency_ms)],
                            "latency-proxy listening on", self.work / "latency-proxy.log")
        self.url = f"http://{self.proxy.address}"
        return counts

    def _stop_proxy(self) -> dict:
        if not self.proxy:
            return {}
        words = self.proxy.stop().split()
        self.proxy = None
        if len(words) < 8:
            return {}
        return {"connections": int(words[1]), "up": int(words[3]), "down": int(words[6])}

    def stop(self) -> None:
        self._stop_proxy()
        self.server.stop()

    def __enter__(self) -> Sigstore:
        return self

    def __exit__(self, *exc) -> None:
        self.stop()


def identity_token(repository: str = "octo-org/bench", workflow: str = "release.yml") -> str:
    """A GitHub-shaped identity token (audience `sigstore`). The local Fulcio does not check
    JWT signatures, so this one is unsigned; it lives ten minutes."""
    now = int(time.time())
    ref = f"{repository}/.github/workflows/{workflow}@refs/heads/main"
    claims = {"iss": "https://token.actions.githubusercontent.com", "aud": "sigstore",
              "sub": f"repo:{repository}:ref:refs/heads/main", "iat": now, "nbf": now - 5,
              "exp": now + 600, "jti": f"bench-{now}", "repository": repository,
              "repository_owner": repository.split("/")[0], "ref": "refs/heads/main",
              "sha": "0" * 40, "event_name": "push", "workflow_ref": ref,
              "job_workflow_ref": ref}

    def b64(data: dict) -> str:
        raw = json.dumps(data, separators=(",", ":")).encode()
        return base64.urlsafe_b64encode(raw).decode().rstrip("=")

    return f"{b64({'alg': 'RS256', 'typ': 'JWT'})}.{b64(claims)}.c2lnbmF0dXJl"
