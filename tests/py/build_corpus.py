#!/usr/bin/env python3
"""Build every sample project under tests/projects into OUTDIR (one sdist + one wheel each).

Usage: .venv/bin/python tests/py/build_corpus.py OUTDIR [--jobs N] [--only DIR ...]

Each project is copied to a scratch directory (so the sources stay clean) and built with the
venv's `uv build`: isolated builds, so the backend pinned in each project's
`[build-system] requires` is what runs (needs PyPI, or a warm uv cache). The wheel is built
from the sdist, as `uv build` does by default. Projects listed in PLATFORM_RETAG get their
wheel's platform tag replaced with `python -m wheel tags`. Prints the built file names,
one a line, in sorted order. Exits non-zero naming the project on any failure.
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

PROJECTS = Path(__file__).resolve().parent.parent / "projects"

# Project dir -> platform tag for its wheel. The extension only calls the CPython API (no
# glibc symbol newer than 2.17), so the manylinux2014 tag is honest.
PLATFORM_RETAG = {"setuptools-cext": f"manylinux_2_17_{platform.machine()}"}

# Fixed timestamp: the backends that honour it produce the same bytes on every run.
SOURCE_DATE_EPOCH = "1700000000"


class BuildError(Exception):
    pass


def find_uv() -> str:
    try:
        from uv import find_uv_bin  # the `uv` PyPI package, installed by scripts/dev-env

        return find_uv_bin()
    except Exception:
        found = shutil.which("uv")
        if not found:
            raise SystemExit("build_corpus: uv not found; run scripts/dev-env and use .venv/bin/python")
        return found


def run(cmd: list[str], project: str, env: dict[str, str], cwd: Path | None = None) -> None:
    proc = subprocess.run(cmd, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    if proc.returncode != 0:
        raise BuildError(
            f"project {project!r}: command failed (exit {proc.returncode}): {' '.join(cmd)}\n{proc.stdout}"
        )


def build_one(uv: str, project: Path, outdir: Path, env: dict[str, str]) -> list[str]:
    name = project.name
    with tempfile.TemporaryDirectory(prefix=f"corpus-{name}-") as tmp:
        src = Path(tmp) / "src"
        out = Path(tmp) / "out"
        shutil.copytree(
            project,
            src,
            ignore=shutil.ignore_patterns("build", "dist", "*.egg-info", "__pycache__", ".pdm-build", "*.so"),
        )
        run(
            [uv, "build", "--no-config", "--quiet", "--python", sys.executable, "--out-dir", str(out), str(src)],
            name,
            env,
        )
        sdists = sorted(out.glob("*.tar.gz"))
        wheels = sorted(out.glob("*.whl"))
        if len(sdists) != 1 or len(wheels) != 1:
            found = sorted(p.name for p in out.iterdir())
            raise BuildError(f"project {name!r}: expected one sdist and one wheel, got {found}")
        if name in PLATFORM_RETAG:
            run(
                [sys.executable, "-m", "wheel", "tags", "--platform-tag", PLATFORM_RETAG[name], "--remove", str(wheels[0])],
                name,
                env,
            )
            wheels = sorted(out.glob("*.whl"))
            if len(wheels) != 1 or PLATFORM_RETAG[name] not in wheels[0].name:
                raise BuildError(f"project {name!r}: retagging failed, got {[w.name for w in wheels]}")
        built = []
        for f in sdists + wheels:
            shutil.copy2(f, outdir / f.name)
            built.append(f.name)
        return built


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("outdir", type=Path)
    ap.add_argument("--jobs", type=int, default=4, help="parallel builds (default 4)")
    ap.add_argument("--only", action="append", default=[], metavar="DIR", help="build only this project dir")
    args = ap.parse_args()

    projects = sorted(p for p in PROJECTS.iterdir() if (p / "pyproject.toml").is_file())
    if args.only:
        unknown = set(args.only) - {p.name for p in projects}
        if unknown:
            raise SystemExit(f"build_corpus: unknown project(s): {sorted(unknown)}")
        projects = [p for p in projects if p.name in args.only]
    args.outdir.mkdir(parents=True, exist_ok=True)

    uv = find_uv()
    env = dict(os.environ)
    env.setdefault("SOURCE_DATE_EPOCH", SOURCE_DATE_EPOCH)
    env.pop("VIRTUAL_ENV", None)  # uv build takes the interpreter from --python

    start = time.monotonic()
    failures: list[str] = []
    built: list[str] = []
    with ThreadPoolExecutor(max_workers=max(1, args.jobs)) as pool:
        futures = {p.name: pool.submit(build_one, uv, p, args.outdir, env) for p in projects}
        for name, fut in futures.items():
            try:
                built.extend(fut.result())
            except BuildError as e:
                failures.append(str(e))
    if failures:
        for f in failures:
            print(f"build_corpus: FAILED {f}", file=sys.stderr)
        return 1
    for name in sorted(built):
        print(name)
    print(
        f"build_corpus: built {len(built)} files from {len(projects)} projects into {args.outdir}"
        f" in {time.monotonic() - start:.1f}s",
        file=sys.stderr,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
