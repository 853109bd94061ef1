"""Fetches the real-world corpus (tests/data/real-corpus.txt) into a cache outside the tree,
verifying every file's sha256 against its pin. Cached files are re-hashed, not re-fetched,
so a warm run takes well under a second.

    fetch_corpus.py [--pins FILE] [--dest DIR] [--jobs N] [--only NAME ...]

DIR defaults to ${XDG_CACHE_HOME:-~/.cache}/rust-pypi-publish/real-corpus. Prints DIR on
the last line of stdout; exits 1 naming every file that could not be fetched or verified.

How: wheels with `pip download --no-deps` given the pinned file-host URL with its
`#sha256=` fragment (pip checks it too), for a target platform each wheel fits (pip
refuses a wheel for another platform), several pip processes at once. sdists cannot go that way: `pip download` prepares an sdist's metadata, which means
running its build backend (maturin, an old setup.py under today's Python) and fails for
many perfectly good files. They are fetched with pip's own HTTP session instead (same
certificates, proxy settings and retries as `pip download`), from the same pinned URL.
"""
from __future__ import annotations

import argparse
import concurrent.futures
import hashlib
import os
import re
import pathlib
import shutil
import subprocess
import sys
import tempfile

REPO = pathlib.Path(__file__).resolve().parents[2]


def default_dest() -> pathlib.Path:
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return pathlib.Path(base) / "rust-pypi-publish" / "real-corpus"


def read_pins(path: pathlib.Path) -> list[dict]:
    pins = []
    for line in path.read_text().splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        category, project, version, filename, sha256, url = line.split()
        pins.append(dict(category=category.lstrip("*"), project=project, version=version,
                         filename=filename, sha256=sha256, url=url))
    return pins


def sha256_of(path: pathlib.Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def pip_target(filename: str) -> tuple[str, str, str, str]:
    """The pip target (implementation, python version, abi, platform) one tag of the wheel
    matches: `pip download` refuses a wheel that does not fit the target platform."""
    from packaging.utils import parse_wheel_filename

    tags = sorted(parse_wheel_filename(filename)[3], key=lambda t: (t.interpreter.startswith("py2"), str(t)))
    tag = tags[0]
    # The implementation is every letter before the version: `cp314`, `pp311`, `graalpy313`.
    impl, digits = re.fullmatch(r"([a-z]+)(\d*)", tag.interpreter).groups()
    version = digits[0] + ("." + digits[1:] if len(digits) > 1 else "")
    return impl, version, tag.abi, tag.platform


def pip_download_wheels(pins: list[dict], into: pathlib.Path) -> str:
    """One `pip download` for a batch of wheels of one implementation and Python version;
    returns pip's output on failure."""
    targets = [pip_target(p["filename"]) for p in pins]
    impl, version = targets[0][:2]
    cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "--no-input",
           "--disable-pip-version-check", "--progress-bar", "off", "-q", "-d", str(into),
           "--only-binary=:all:", "--ignore-requires-python", "--implementation", impl, "--python-version", version]
    for abi in sorted({t[2] for t in targets} - {"none"}):
        cmd += ["--abi", abi]
    for platform in sorted({t[3] for t in targets} - {"any"}):
        cmd += ["--platform", platform]
    cmd += [f"{p['url']}#sha256={p['sha256']}" for p in pins]
    # Only the pinned URLs: no local wheel folder may stand in for them.
    run = subprocess.run(cmd, capture_output=True, text=True, env={**os.environ, "PIP_FIND_LINKS": ""})
    return "" if run.returncode == 0 else (run.stdout + run.stderr)[-2000:]


def wheel_batches(wheels: list[dict], jobs: int) -> list[list[dict]]:
    """Wheels grouped by pip target (implementation, Python version), at most one file per
    project in a batch (pip's resolver holds one file of a project per run), big groups
    split so that about `jobs` pip processes run at once."""
    size = max(1, -(-len(wheels) // jobs))
    batches: dict[tuple[str, str], list[list[dict]]] = {}
    for p in wheels:
        buckets = batches.setdefault(pip_target(p["filename"])[:2], [])
        for b in buckets:
            if len(b) < size and all(q["project"] != p["project"] for q in b):
                b.append(p)
                break
        else:
            buckets.append([p])
    return [b for buckets in batches.values() for b in buckets]


def pip_session():
    from pip._internal.network.session import PipSession

    session = PipSession(retries=3)
    cert = os.environ.get("PIP_CERT")
    if cert:
        session.verify = cert
    return session


def session_download(session, pin: dict, into: pathlib.Path) -> str:
    try:
        with session.get(pin["url"], stream=True, timeout=60) as r:
            r.raise_for_status()
            with open(into / pin["filename"], "wb") as f:
                for chunk in r.iter_content(1 << 16):
                    f.write(chunk)
    except Exception as e:  # reported with the file's name below
        return f"{type(e).__name__}: {e}"
    return ""


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--pins", type=pathlib.Path, default=REPO / "tests/data/real-corpus.txt")
    ap.add_argument("--dest", type=pathlib.Path, default=default_dest())
    ap.add_argument("--jobs", type=int, default=6)
    ap.add_argument("--only", nargs="*", help="fetch only these filenames")
    args = ap.parse_args()

    pins = read_pins(args.pins)
    if args.only:
        wanted = set(args.only)
        pins = [p for p in pins if p["filename"] in wanted]
        missing = wanted - {p["filename"] for p in pins}
        if missing:
            print(f"not pinned: {sorted(missing)}", file=sys.stderr)
            return 1
    args.dest.mkdir(parents=True, exist_ok=True)
    todo = [p for p in pins if not ((args.dest / p["filename"]).is_file()
                                    and sha256_of(args.dest / p["filename"]) == p["sha256"])]
    failures: list[str] = []
    if todo:
        print(f"fetching {len(todo)} of {len(pins)} files into {args.dest}", file=sys.stderr)
        # A private staging dir in the cache: files move in only once verified, so a run
        # interrupted (or racing another) never leaves a bad file under a pinned name.
        staging = pathlib.Path(tempfile.mkdtemp(prefix=".partial-", dir=args.dest))
        try:
            wheels = [p for p in todo if p["filename"].endswith(".whl")]
            sdists = [p for p in todo if not p["filename"].endswith(".whl")]
            batches = wheel_batches(wheels, args.jobs)
            session = pip_session() if sdists else None
            with concurrent.futures.ThreadPoolExecutor(args.jobs * 2) as pool:
                jobs = {pool.submit(pip_download_wheels, b, staging): b for b in batches}
                jobs.update({pool.submit(session_download, session, p, staging): [p] for p in sdists})
                for job in concurrent.futures.as_completed(jobs):
                    if err := job.result():
                        names = ", ".join(p["filename"] for p in jobs[job])
                        failures.append(f"{names}: {err.strip()}")
            for p in todo:
                got = staging / p["filename"]
                if not got.is_file():
                    continue  # its batch's failure is already recorded
                digest = sha256_of(got)
                if digest != p["sha256"]:
                    failures.append(f"{p['filename']}: sha256 {digest}, pinned {p['sha256']}")
                    continue
                os.replace(got, args.dest / p["filename"])
        finally:
            shutil.rmtree(staging, ignore_errors=True)
        still = [p["filename"] for p in todo if not (args.dest / p["filename"]).is_file()]
        if still and not failures:
            failures.append(f"not fetched: {still}")
    for f in failures:
        print(f"fetch_corpus: {f}", file=sys.stderr)
    print(args.dest)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
