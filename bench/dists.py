"""Benchmark inputs: valid wheels and sdists written directly, the way build backends lay
them out (PEP 427 wheel with METADATA/WHEEL/RECORD, PEP 625 sdist with PKG-INFO), so they
pass this tool's preflight and the test index's Warehouse rules. Writing them is
deterministic and takes milliseconds; the benchmark checks the index stored every one.
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import io
import os
import tarfile
import zipfile
from pathlib import Path

# A fixed timestamp keeps the files byte-identical between runs (reproducible builds).
EPOCH = (2024, 1, 1, 0, 0, 0)
MTIME = 1704067200


def metadata(name: str, version: str, summary: str) -> str:
    return (
        "Metadata-Version: 2.4\n"
        f"Name: {name}\n"
        f"Version: {version}\n"
        f"Summary: {summary}\n"
        "Author-email: Bench Example <bench@example.org>\n"
        "License-Expression: MIT\n"
        "Requires-Python: >=3.9\n"
        "Classifier: Programming Language :: Python :: 3\n"
        "Classifier: Development Status :: 4 - Beta\n"
        "Requires-Dist: packaging>=24\n"
        "Project-URL: Source, https://example.org/bench\n"
        "Description-Content-Type: text/markdown\n"
        "\n"
        f"# {name}\n\nA benchmark distribution.\n"
    )


def module_source(seed: int, size: int) -> bytes:
    """Plausible Python source of about `size` bytes (compresses like real code)."""
    lines = [f'"""Module {seed}."""\n']
    i = 0
    while sum(map(len, lines)) < size:
        lines.append(f"def function_{seed}_{i}(x, y={i}):\n    return (x * {i + seed}) ^ y\n\n")
        i += 1
    return "".join(lines).encode()


def record_hash(data: bytes) -> str:
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=")
    return f"sha256={digest.decode()}"


def write_wheel(out: Path, name: str, version: str, members: dict[str, bytes],
                big: tuple[str, int] | None = None) -> Path:
    """A py3-none-any wheel; `big` = (member, bytes) adds an incompressible stored member."""
    dist = name.replace("-", "_")
    di = f"{dist}-{version}.dist-info"
    path = out / f"{dist}-{version}-py3-none-any.whl"
    members = dict(members)
    members[f"{di}/METADATA"] = metadata(name, version, "A benchmark distribution").encode()
    members[f"{di}/WHEEL"] = (
        b"Wheel-Version: 1.0\nGenerator: bench\nRoot-Is-Purelib: true\nTag: py3-none-any\n"
    )
    records = []
    tmp = path.with_suffix(".tmp")
    with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as zf:
        if big:
            member, size = big
            records.append(f"{member},{_write_random(zf, member, size)},{size}")
        for member, data in members.items():
            zf.writestr(zipfile.ZipInfo(member, EPOCH), data, zipfile.ZIP_DEFLATED)
            records.append(f"{member},{record_hash(data)},{len(data)}")
        records.append(f"{di}/RECORD,,")
        zf.writestr(zipfile.ZipInfo(f"{di}/RECORD", EPOCH), "\n".join(records) + "\n",
                    zipfile.ZIP_DEFLATED)
    tmp.replace(path)
    return path


def _write_random(zf: zipfile.ZipFile, member: str, size: int) -> str:
    # Random bytes, stored: PyPI's compression-ratio rule (and any real wheel with
    # binaries) sees a ratio of 1, and no tool can win by compressing.
    info = zipfile.ZipInfo(member, EPOCH)
    info.compress_type = zipfile.ZIP_STORED
    sha = hashlib.sha256()
    left = size
    with zf.open(info, "w", force_zip64=size > 2**31) as f:
        while left:
            chunk = os.urandom(min(left, 1 << 20))
            sha.update(chunk)
            f.write(chunk)
            left -= len(chunk)
    return "sha256=" + base64.urlsafe_b64encode(sha.digest()).rstrip(b"=").decode()


def write_sdist(out: Path, name: str, version: str, files: dict[str, bytes]) -> Path:
    dist = name.replace("-", "_")
    top = f"{dist}-{version}"
    path = out / f"{top}.tar.gz"
    files = {
        "PKG-INFO": metadata(name, version, "A benchmark distribution").encode(),
        "pyproject.toml": (
            f'[build-system]\nrequires = ["hatchling"]\nbuild-backend = "hatchling.build"\n\n'
            f'[project]\nname = "{name}"\nversion = "{version}"\n'
        ).encode(),
        **files,
    }
    # gzip's header carries a time too: pin it, or every run makes new bytes.
    with open(path, "wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", mtime=MTIME) as gz, \
            tarfile.open(fileobj=gz, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for member, data in files.items():
            info = tarfile.TarInfo(f"{top}/{member}")
            info.size, info.mtime, info.mode = len(data), MTIME, 0o644
            tar.addfile(info, io.BytesIO(data))
    return path


def many(out: Path, projects: int, version: str = "1.0.0") -> list[Path]:
    """`projects` projects, each a wheel and an sdist of a few KiB."""
    out.mkdir(parents=True, exist_ok=True)
    paths = []
    for i in range(projects):
        name = f"bench-pkg-{i:02d}"
        src = module_source(i, 30_000)
        pkg = name.replace("-", "_")
        paths.append(write_wheel(out, name, version, {f"{pkg}/__init__.py": src}))
        paths.append(write_sdist(out, name, version, {f"src/{pkg}/__init__.py": src,
                                                      "README.md": f"# {name}\n".encode()}))
    return paths


def release(out: Path, files: int, total_mb: int, version: str = "1.0.0") -> list[Path]:
    """A large release: `files` wheels (one project per ten) of random payloads whose sizes
    spread as real wheels do (log-uniform, 40 kB to ~30 MB), scaled to about `total_mb` MB.
    Deterministic sizes (a fixed seed); random bytes (incompressible, stored)."""
    import random
    out.mkdir(parents=True, exist_ok=True)
    rng = random.Random(13)
    weights = [10 ** rng.uniform(4.6, 7.5) for _ in range(files)]
    scale = total_mb * 10**6 / sum(weights)
    paths = []
    for i, w in enumerate(weights):
        name = f"bench-rel-{i // 10:02d}"
        pkg = name.replace("-", "_")
        # One version per wheel of a project: a release of many platform builds.
        v = f"{version}.{i % 10}"
        paths.append(write_wheel(out, name, v, {f"{pkg}/__init__.py": b""},
                                 big=(f"{pkg}/data.bin", max(1000, int(w * scale)))))
    return paths


def shaped(out: Path, files: int, megabytes: int, version: str = "1.0.0") -> list[Path]:
    """`files` wheels of about `megabytes` MB each (random bytes, stored), ten versions of a
    project per project: a bandwidth-bound release."""
    out.mkdir(parents=True, exist_ok=True)
    paths = []
    for i in range(files):
        name = f"bench-shaped-{i // 10:02d}"
        pkg = name.replace("-", "_")
        paths.append(write_wheel(out, name, f"{version}.{i % 10}", {f"{pkg}/__init__.py": b""},
                                 big=(f"{pkg}/data.bin", megabytes * 10**6)))
    return paths


def big(out: Path, megabytes: int, version: str = "1.0.0") -> Path:
    """One wheel of about `megabytes` MB (MiB-free: 10**6 bytes), almost all random data."""
    out.mkdir(parents=True, exist_ok=True)
    name = f"bench-big{megabytes}"
    pkg = name.replace("-", "_")
    return write_wheel(out, name, version, {f"{pkg}/__init__.py": b""},
                       big=(f"{pkg}/data.bin", megabytes * 10**6))
