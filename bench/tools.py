"""The three publishers as the benchmark runs them, each given the same files, index and
token the way its users would give them: ours `-u __token__ -p TOKEN`, twine the same
flags, uv through `UV_PUBLISH_TOKEN`. Plain http is allowed on loopback by all three; we
pass `--allow-http` anyway so the command line matches a remote http index."""

from __future__ import annotations

import os
from pathlib import Path

from procs import TOKEN

OURS, TWINE, UV = "pypi-publish", "twine", "uv publish"
TOOLS = (OURS, TWINE, UV)


def base_env(work: Path) -> dict:
    """The caller's environment without any publisher's own settings."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("TWINE_", "UV_", "PYPI_PUBLISH_"))}
    env["UV_CACHE_DIR"] = str(work / "uv-cache")
    env["UV_NO_PROGRESS"] = "1"
    env["NO_COLOR"] = "1"
    return env


class Tools:
    def __init__(self, binaries: Path, venv: Path, work: Path):
        self.ours = binaries / "pypi-publish"
        self.twine = venv / "bin" / "twine"
        self.uv = venv / "bin" / "uv"
        self.env = base_env(work)

    def upload(self, tool: str, url: str, files: list[Path], rerun: bool = False):
        """argv and env for one upload of `files` to the index at `url`. `rerun` asks each
        tool for its skip-existing mode: ours always skips identical files; uv needs
        `--check-url` to look before sending; twine 7 refuses `--skip-existing` for any
        index but PyPI's, so it sends every file again (the index answers 200, as PyPI
        does for identical bytes)."""
        legacy = f"{url}/legacy/"
        names = [str(f) for f in files]
        env = dict(self.env)
        if tool == OURS:
            argv = [str(self.ours), "upload", *names, "--repository-url", legacy,
                    "-u", "__token__", "-p", TOKEN, "--allow-http", "--no-progress"]
        elif tool == TWINE:
            argv = [str(self.twine), "upload", "--repository-url", legacy,
                    "-u", "__token__", "-p", TOKEN, "--non-interactive",
                    "--disable-progress-bar", *names]
        else:
            argv = [str(self.uv), "publish", "--publish-url", legacy,
                    "--trusted-publishing", "never", "--no-attestations", *names]
            env["UV_PUBLISH_TOKEN"] = TOKEN
            if rerun:
                argv += ["--check-url", f"{url}/simple/"]
        return argv, env

    def devpi_rerun(self, tool: str, devpi, files: list[Path], password: str):
        """argv and env for re-sending `files` to devpi, where every one is present: ours
        derives devpi's simple index; uv is given it (`--check-url`)."""
        names = [str(f) for f in files]
        env = dict(self.env)
        if tool == OURS:
            argv = [str(self.ours), "upload", *names, "--repository-url", devpi.upload_url,
                    "-u", "alice", "-p", password, "--no-progress"]
        else:
            argv = [str(self.uv), "publish", "--publish-url", devpi.upload_url,
                    "--check-url", devpi.simple_url, "-u", "alice", "-p", password,
                    "--trusted-publishing", "never", "--no-attestations", *names]
        return argv, env

    def dry_run(self, tool: str, url: str, file: Path):
        """A dry run of one file (twine has none: `twine check` is the nearest)."""
        legacy = f"{url}/legacy/"
        env = dict(self.env)
        if tool == OURS:
            argv = [str(self.ours), "upload", str(file), "--repository-url", legacy,
                    "-u", "__token__", "-p", TOKEN, "--allow-http", "--no-progress",
                    "--dry-run"]
        elif tool == TWINE:
            argv = [str(self.twine), "check", str(file)]
        else:
            argv = [str(self.uv), "publish", "--publish-url", legacy, "--dry-run",
                    "--trusted-publishing", "never", "--no-attestations", str(file)]
            env["UV_PUBLISH_TOKEN"] = TOKEN
        return argv, env

    def version(self, tool: str):
        exe = {OURS: self.ours, TWINE: self.twine, UV: self.uv}[tool]
        return [str(exe), "--version"], dict(self.env)
