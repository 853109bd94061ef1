#!/usr/bin/env python3
"""Fetch the reStructuredText corpus: real distributions pinned in tests/data/rst-corpus.txt.

Usage:
  rst_corpus.py fetch PINS CACHE   download what CACHE lacks (pip, sha256-verified) and write
                                   CACHE/metadata/<filename>.metadata, the raw METADATA/PKG-INFO
  rst_corpus.py pin CANDIDATES PINS CACHE
                                   (maintainers) download each `project==version` of CANDIDATES
                                   (a wheel if the release has one, else the sdist) and append a
                                   pin line for each whose description is reStructuredText

Pin line: `project version filename sha256`. Files come from PyPI through pip only; pip picks the
one file whose hash is pinned (hash-checking mode). Nothing here uploads anything.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import tarfile
import tempfile
import zipfile
from concurrent.futures import ThreadPoolExecutor
from email.parser import BytesHeaderParser
from pathlib import Path

PIP = [sys.executable, "-m", "pip", "download", "--no-deps", "--disable-pip-version-check", "-q"]


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def raw_metadata(path: Path) -> bytes | None:
    """METADATA of a wheel, else the top-level PKG-INFO of an sdist."""
    name = path.name
    if name.endswith(".whl"):
        with zipfile.ZipFile(path) as z:
            for n in z.namelist():
                parts = n.split("/")
                if len(parts) == 2 and parts[0].endswith(".dist-info") and parts[1] == "METADATA":
                    return z.read(n)
        return None
    if name.endswith(".zip"):
        with zipfile.ZipFile(path) as z:
            for n in z.namelist():
                if n.count("/") == 1 and n.endswith("/PKG-INFO"):
                    return z.read(n)
        return None
    with tarfile.open(path) as t:
        for m in t.getmembers():
            if m.name.count("/") == 1 and m.name.endswith("/PKG-INFO") and m.isfile():
                f = t.extractfile(m)
                return f.read() if f else None
    return None


def pip_download(args: list[str], dest: Path) -> list[Path]:
    with tempfile.TemporaryDirectory(dir=dest) as tmp:
        r = subprocess.run(PIP + args + ["-d", tmp], capture_output=True, text=True, timeout=600)
        if r.returncode != 0:
            raise RuntimeError(r.stderr.strip().splitlines()[-1] if r.stderr.strip() else "pip failed")
        out = []
        for p in Path(tmp).iterdir():
            target = dest / p.name
            os.replace(p, target)
            out.append(target)
        return out


def fetch_one(line: tuple[str, str, str, str], files: Path, meta: Path) -> str | None:
    project, version, filename, digest = line
    path = files / filename
    if not path.exists() or sha256(path) != digest:
        with tempfile.NamedTemporaryFile("w", suffix=".txt", dir=files, delete=False) as req:
            req.write(f"{project}=={version} --hash=sha256:{digest}\n")
        try:
            # Hash-checking mode makes pip choose the one file with the pinned hash; an sdist
            # has its metadata prepared, hence no build isolation (the venv has setuptools).
            pip_download(["--require-hashes", "--no-build-isolation", "-r", req.name], files)
        except Exception as e:  # noqa: BLE001
            return f"{filename}: {e}"
        finally:
            os.unlink(req.name)
    if not path.exists() or sha256(path) != digest:
        return f"{filename}: not downloaded or sha256 mismatch"
    target = meta / (filename + ".metadata")
    if not target.exists():
        data = raw_metadata(path)
        if data is None:
            return f"{filename}: no METADATA/PKG-INFO"
        target.write_bytes(data)
    return None


def read_pins(pins: Path) -> list[tuple[str, str, str, str]]:
    out = []
    for raw in pins.read_text().splitlines():
        raw = raw.split("#", 1)[0].strip()
        if raw:
            project, version, filename, digest = raw.split()
            out.append((project, version, filename, digest))
    return out


def fetch(pins: Path, cache: Path) -> int:
    files, meta = cache / "files", cache / "metadata"
    files.mkdir(parents=True, exist_ok=True)
    meta.mkdir(parents=True, exist_ok=True)
    lines = read_pins(pins)
    with ThreadPoolExecutor(8) as pool:
        errors = [e for e in pool.map(lambda l: fetch_one(l, files, meta), lines) if e]
    for e in errors:
        print(e, file=sys.stderr)
    return 1 if errors else 0


def is_rst(data: bytes) -> bool:
    headers = BytesHeaderParser().parsebytes(data)
    ctype = (headers.get("Description-Content-Type") or "text/x-rst").split(";")[0].strip().lower()
    return ctype == "text/x-rst"


def pin_one(spec: str, files: Path) -> str | None:
    project, version = spec.split("==")
    got: list[Path] = []
    for mode in (["--only-binary", ":all:"], ["--no-binary", ":all:", "--no-build-isolation"]):
        try:
            got = pip_download(mode + [spec], files)
            break
        except Exception:  # noqa: BLE001
            continue
    if len(got) != 1:
        return None
    path = got[0]
    try:
        data = raw_metadata(path)
    except Exception:  # noqa: BLE001
        return None
    if data is None or not is_rst(data):
        return None
    return f"{project} {version} {path.name} {sha256(path)}"


def pin(candidates: Path, pins: Path, cache: Path) -> int:
    files = cache / "files"
    files.mkdir(parents=True, exist_ok=True)
    specs = [s.strip() for s in candidates.read_text().splitlines() if s.strip()]
    with ThreadPoolExecutor(8) as pool, pins.open("a") as out:
        for line in pool.map(lambda s: pin_one(s, files), specs):
            if line:
                out.write(line + "\n")
                out.flush()
    return 0


def main() -> int:
    if sys.argv[1:2] == ["fetch"] and len(sys.argv) == 4:
        return fetch(Path(sys.argv[2]), Path(sys.argv[3]))
    if sys.argv[1:2] == ["pin"] and len(sys.argv) == 5:
        return pin(Path(sys.argv[2]), Path(sys.argv[3]), Path(sys.argv[4]))
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
