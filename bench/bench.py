"""Benchmarks: pypi-publish against `twine upload` and `uv publish`, in one run, on this
machine, against the same local test index (see docs/benchmarks.md).

Scenarios:
  many   40 small files (20 projects x wheel + sdist) through a 25 ms-each-way latency proxy;
         then the same upload again with everything present (the idempotent re-run)
  big    one 200 MB and one 20 MB wheel (incompressible) straight to the index, next to
         `sha256sum` + `b2sum` of the same file (the machine's hashing limit)
  shaped 20 wheels of 20 MB through the latency proxy shaping the link to 100 Mbit/s each
         way (shared by every connection) with a 50 ms round trip: bandwidth-bound
  cold   `--version`, a dry run of one file, the binary's size
  sign   PEP 740 attestations for 20 files (`pypi-publish attest`) against the local Sigstore
         (Fulcio + Rekor v1) behind a 150 ms-each-way latency proxy; `--sign-baseline DIR`
         also runs an older build's binary from DIR, turn about
  release  a re-run of a large release (200 wheels, ~660 MB) against a real devpi where
         every file is present: ours against `uv publish --check-url`, idle and loaded

Every run of every tool gets a fresh index (fresh data dir); tools take turns run by run,
so load from other processes spreads over all of them. Medians are reported.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

import dists  # noqa: E402
import report  # noqa: E402
from procs import (Devpi, Index, Load, Sample, Sigstore, cpu_seconds,  # noqa: E402
                   identity_token, measure)
from tools import OURS, TOOLS, TWINE, UV, Tools  # noqa: E402


class Failed(Exception):
    pass


class Bench:
    def __init__(self, args):
        self.args = args
        self.bin = Path(args.bin).resolve()
        self.work = Path(args.work).resolve()
        self.tools = Tools(self.bin, Path(args.venv), self.work)
        self.results: dict = {"runs": args.runs}

    def log(self, msg: str) -> None:
        print(msg, file=sys.stderr, flush=True)

    def run(self, argv, env, index: Index | None, expect_stored: int | None, what: str) -> Sample:
        log = self.work / "tools.log"
        with open(log, "a") as f:
            f.write(f"\n$ {' '.join(argv)}\n")
        before = cpu_seconds(index.pid) if index else 0.0
        sample = measure(argv, env=env, log=log)
        if index:
            sample.extra["index_cpu"] = cpu_seconds(index.pid) - before
            stats = index.stats()
            sample.extra["uploads"] = stats["upload_requests"]
            sample.extra["lookups"] = stats["simple_requests"]
            stored = len(stats["files"])
            if expect_stored is not None and stored != expect_stored:
                raise Failed(f"{what}: index holds {stored} files, expected {expect_stored} "
                             f"(exit {sample.code}); see {log}")
        if sample.code != 0:
            raise Failed(f"{what}: exit {sample.code}; see {log}")
        return sample

    # Scenario 1 and 3.
    def many(self) -> None:
        a = self.args
        files = dists.many(self.work / "many", a.projects)
        first = {t: [] for t in TOOLS}
        rerun = {t: [] for t in TOOLS}
        for i in range(a.runs):
            for tool in rotate(TOOLS, i):
                self.log(f"many: run {i + 1}/{a.runs} {tool}")
                with Index(self.bin, self.work, latency_ms=a.latency_ms) as index:
                    argv, env = self.tools.upload(tool, index.url, files)
                    s = self.run(argv, env, index, len(files), f"{tool} upload")
                    s.extra.update(index.restart_proxy())
                    first[tool].append(s)
                    index.reset_stats()
                    argv, env = self.tools.upload(tool, index.url, files, rerun=True)
                    s = self.run(argv, env, index, len(files), f"{tool} re-run")
                    s.extra.update(index.restart_proxy())
                    rerun[tool].append(s)
        self.results["many"] = {"files": len(files), "projects": a.projects,
                                "latency_ms": a.latency_ms,
                                "bytes": sum(f.stat().st_size for f in files),
                                "first": first, "rerun": rerun}

    # Scenario 2.
    def big(self) -> None:
        a = self.args
        out = {}
        for mb in a.big_mb:
            wheel = dists.big(self.work / f"big{mb}", mb)
            size = wheel.stat().st_size
            rows = {t: [] for t in (*TOOLS, "hash")}
            for i in range(a.runs):
                # The same run's hashing limit, which also leaves the file in the page cache.
                self.log(f"big {mb} MB: run {i + 1}/{a.runs} sha256sum + b2sum")
                sha = measure(["sha256sum", str(wheel)])
                b2 = measure(["b2sum", "-l", "256", str(wheel)])
                rows["hash"].append(Sample(sha.wall + b2.wall, sha.user + b2.user,
                                           sha.sys + b2.sys, max(sha.max_rss_kib, b2.max_rss_kib),
                                           sha.code or b2.code))
                for tool in rotate(TOOLS, i):
                    self.log(f"big {mb} MB: run {i + 1}/{a.runs} {tool}")
                    with Index(self.bin, self.work, max_file_size=2 * size) as index:
                        argv, env = self.tools.upload(tool, index.url, [wheel])
                        rows[tool].append(self.run(argv, env, index, 1, f"{tool} {mb} MB"))
            out[mb] = {"bytes": size, "rows": rows}
            wheel.unlink()
        self.results["big"] = out

    # Scenario 7.
    def shaped(self) -> None:
        """A bandwidth-bound release: every tool against the link's own transfer time."""
        a = self.args
        files = dists.shaped(self.work / "shaped", a.shaped_files, a.shaped_mb)
        size = max(f.stat().st_size for f in files)
        rows = {t: [] for t in TOOLS}
        for i in range(a.runs):
            for tool in rotate(TOOLS, i):
                self.log(f"shaped: run {i + 1}/{a.runs} {tool}")
                with Index(self.bin, self.work, latency_ms=a.shaped_latency_ms,
                           max_file_size=2 * size, rate_mbit=a.shaped_mbit) as index:
                    argv, env = self.tools.upload(tool, index.url, files)
                    s = self.run(argv, env, index, len(files), f"{tool} shaped")
                    s.extra.update(index.restart_proxy())
                    rows[tool].append(s)
        self.results["shaped"] = {"files": len(files), "mbit": a.shaped_mbit,
                                  "latency_ms": a.shaped_latency_ms,
                                  "bytes": sum(f.stat().st_size for f in files), "rows": rows}
        for f in files:
            f.unlink()

    # Scenario 5.
    def release(self) -> None:
        """Re-running a large release against a real devpi where every file is present:
        ours against `uv publish --check-url`, on an idle machine and with every core busy."""
        a = self.args
        files = dists.release(self.work / "release", a.release_files, a.release_mb)
        password = "bench-devpi-pw"
        rows = {f"{tool} {load}": [] for load in ("idle", "loaded") for tool in (OURS, UV)}
        with Devpi(Path(a.venv), self.work, password) as devpi:
            self.log(f"release: storing {len(files)} files on devpi")
            argv, env = self.tools.devpi_rerun(OURS, devpi, files, password)
            self.run(argv, env, None, None, "release: first upload")
            for i in range(a.runs):
                for load in ("idle", "loaded"):
                    for tool in rotate([OURS, UV], i):
                        self.log(f"release: run {i + 1}/{a.runs} {tool} {load}")
                        argv, env = self.tools.devpi_rerun(tool, devpi, files, password)
                        if load == "loaded":
                            with Load():
                                s = self.run(argv, env, None, None, f"{tool} re-run")
                        else:
                            s = self.run(argv, env, None, None, f"{tool} re-run")
                        rows[f"{tool} {load}"].append(s)
        self.results["release"] = {"files": len(files),
                                   "bytes": sum(f.stat().st_size for f in files),
                                   "rows": rows}

    # Scenario 6.
    def sign(self) -> None:
        """`attest` of 20 files through the latency proxy: one Fulcio certificate, then one
        Rekor entry per file (what an upload with attestations signs before it sends)."""
        a = self.args
        files = dists.many(self.work / "sign", a.sign_files // 2)
        builds = {"current": self.bin / "pypi-publish"}
        if a.sign_baseline:
            builds["baseline"] = Path(a.sign_baseline).resolve() / "pypi-publish"
        rows = {name: [] for name in builds}
        env = dict(self.tools.env, SIGSTORE_ID_TOKEN=identity_token())
        with Sigstore(self.bin, self.work, latency_ms=a.sign_latency_ms) as sigstore:
            for i in range(a.runs):
                for name in rotate(list(builds), i):
                    self.log(f"sign: run {i + 1}/{a.runs} {name}")
                    for f in files:
                        Path(f"{f}.publish.attestation").unlink(missing_ok=True)
                    argv = [str(builds[name]), "attest", *map(str, files),
                            "--fulcio-url", sigstore.url, "--rekor-url", sigstore.url]
                    s = self.run(argv, env, None, None, f"{name} attest")
                    signed = sum(Path(f"{f}.publish.attestation").exists() for f in files)
                    if signed != len(files):
                        raise Failed(f"sign: {name} wrote {signed} of {len(files)} attestations")
                    s.extra.update(sigstore.restart_proxy())
                    rows[name].append(s)
        self.results["sign"] = {"files": len(files), "latency_ms": a.sign_latency_ms,
                                "rows": rows}

    # Scenario 4.
    def cold(self) -> None:
        a = self.args
        wheel = dists.many(self.work / "cold", 1)[0]
        versions = {t: [] for t in TOOLS}
        dry = {t: [] for t in TOOLS}
        with Index(self.bin, self.work) as index:
            for i in range(max(a.runs, 10 if not a.smoke else 1)):
                for tool in rotate(TOOLS, i):
                    argv, env = self.tools.version(tool)
                    versions[tool].append(self.run(argv, env, None, None, f"{tool} --version"))
                    argv, env = self.tools.dry_run(tool, index.url, wheel)
                    dry[tool].append(self.run(argv, env, None, None, f"{tool} dry run"))
        self.results["cold"] = {
            "version": versions, "dry_run": dry,
            "binary_bytes": self.tools.ours.stat().st_size,
            "uv_binary_bytes": self.tools.uv.resolve().stat().st_size,
        }


def rotate(items, n):
    n %= len(items)
    return items[n:] + items[:n]


def machine() -> dict:
    def sh(*argv):
        try:
            return subprocess.run(argv, capture_output=True, text=True, check=False).stdout
        except OSError:
            return ""
    model = next((ln.split(":", 1)[1].strip() for ln in sh("lscpu").splitlines()
                  if ln.startswith("Model name")), platform.processor())
    return {
        "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "cores": os.cpu_count(), "cpu": model,
        "load": os.getloadavg(),
    }


def versions(tools: Tools) -> dict:
    def v(argv):
        return subprocess.run(argv, capture_output=True, text=True).stdout.strip()
    return {OURS: v([str(tools.ours), "--version"]),
            # "twine version 7.0.0 (readme-renderer: …, requests: …)"
            TWINE: " ".join(v([str(tools.twine), "--version"]).split()[0:3:2]),
            UV: v([str(tools.uv), "--version"])}


def main() -> int:
    root = Path(__file__).resolve().parent.parent
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--runs", type=int, default=5)
    p.add_argument("--scenarios", default="many,big,shaped,cold,release,sign")
    p.add_argument("--projects", type=int, default=20)
    p.add_argument("--latency-ms", type=int, default=25)
    p.add_argument("--big-mb", type=lambda s: [int(x) for x in s.split(",")], default=[200, 20])
    p.add_argument("--shaped-files", type=int, default=20)
    p.add_argument("--shaped-mb", type=int, default=20)
    p.add_argument("--shaped-mbit", type=int, default=100)
    p.add_argument("--shaped-latency-ms", type=int, default=25)
    p.add_argument("--sign-files", type=int, default=20)
    p.add_argument("--sign-latency-ms", type=int, default=150)
    p.add_argument("--sign-baseline", help="a folder with an older pypi-publish to compare")
    p.add_argument("--release-files", type=int, default=200)
    p.add_argument("--release-mb", type=int, default=660)
    p.add_argument("--bin", default=str(root / "target" / "release"))
    p.add_argument("--venv", default=os.environ.get("PYPI_PUBLISH_TEST_VENV", root / ".venv"))
    p.add_argument("--work", help="scratch folder (default: a temp dir under target/)")
    p.add_argument("--json", help="also write the raw samples here")
    p.add_argument("--smoke", action="store_true",
                   help="one tiny run of everything: proves the bench works, measures nothing")
    a = p.parse_args()
    if a.smoke:
        a.runs, a.projects, a.latency_ms, a.big_mb = 1, 2, 5, [2]
        a.release_files, a.release_mb = 4, 2
        a.sign_files, a.sign_latency_ms = 4, 5
        a.shaped_files, a.shaped_mb, a.shaped_latency_ms = 2, 1, 5
    (root / "target").mkdir(exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="bench-", dir=a.work or root / "target") as tmp:
        a.work = tmp
        bench = Bench(a)
        bench.results["machine"] = machine()
        bench.results["versions"] = versions(bench.tools)
        try:
            for scenario in a.scenarios.split(","):
                getattr(bench, scenario)()
        except Failed as e:
            print(f"bench: {e}", file=sys.stderr)
            print((Path(tmp) / "tools.log").read_text()[-4000:], file=sys.stderr)
            return 1
        bench.results["machine"]["load_after"] = os.getloadavg()
    print(report.render(bench.results, smoke=a.smoke))
    if a.json:
        Path(a.json).write_text(json.dumps(bench.results, default=lambda o: o.__dict__,
                                           indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
