#!/usr/bin/env python3
"""The judge of tests/it/rst_corpus.rs: does PyPI's renderer render each description?

Reads JSON lines `{"id": ..., "text": ...}` on stdin and writes, per line, JSON
`{"id": ..., "renders": bool, "line": int|null, "message": str|null}`: the verdict of the real
`readme_renderer.rst.render` (what Warehouse calls for text/x-rst and for no content type) and
the first docutils system message it halted on, read from the warning stream it is given.
An empty description is accepted, as Warehouse does not render it.
"""

from __future__ import annotations

import io
import json
import re
import sys

import readme_renderer.rst

# docutils writes `<source>:<line>: (<LEVEL>/<n>) <message>`; the line is missing sometimes.
MESSAGE = re.compile(r"^[^\n]*?:(?:(\d+):)? \((?:DEBUG|INFO|WARNING|ERROR|SEVERE)/\d\) (.*)", re.S)


def judge(text: str) -> dict:
    # Warehouse renders only a non-empty description (`if meta.description:` in
    # forklift/legacy.py): an empty one is accepted without a render.
    if not text:
        return {"renders": True, "line": None, "message": None}
    stream = io.StringIO()
    renders = readme_renderer.rst.render(text, stream=stream) is not None
    warning = stream.getvalue()
    line, message = None, None
    m = MESSAGE.match(warning)
    if m:
        line = int(m.group(1)) if m.group(1) else None
        message = m.group(2).strip().split("\n")[0]
    elif warning:
        message = warning.strip().split("\n")[0]
    return {"renders": renders, "line": line, "message": message}


def main() -> int:
    for raw in sys.stdin:
        item = json.loads(raw)
        verdict = judge(item["text"])
        verdict["id"] = item["id"]
        print(json.dumps(verdict), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
