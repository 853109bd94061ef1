"""The test index's judge of versions, specifiers, requirements and distribution
filenames: Python's `packaging`, the library Warehouse itself calls for them. The
client parses the same values with the pep440_rs / pep508_rs crates; the fixture must
not share its parser, or a bug in it would pass both sides unnoticed (issue 16).

The test index starts this once (`python -I -c <this file>`) and keeps it for its
lifetime: one JSON request per line on stdin, one JSON answer per line on stdout.

    {"op": "hello"}                     -> {"packaging": "26.4"}
    {"op": "version", "value": s}       -> {"version": V} | {"error": str(InvalidVersion)}
    {"op": "specifiers", "value": s}    -> {"normalized": str(SpecifierSet(s))} | {"error": ...}
    {"op": "requirement", "value": s}   -> {"normalized": str(req), "url": bool} | {"error": ...}
    {"op": "sdist_filename", "value": s} -> {"name": ..., "version": V} | {"error": ...}
    {"op": "wheel_filename", "value": s} -> {"name": ..., "version": V, "platforms": [...]}
                                            | {"error": str(InvalidWheelFilename)}
    {"op": "sort_versions", "values": [...]} -> {"sorted": [...]}  (invalid ones first)

V is {"normalized": str(v), "canonical": canonicalize_version(v), "local": v.local,
"is_postrelease": v.is_postrelease}.
"""

import json
import sys
import threading

# Only the package itself before the first answer, so a missing `packaging` stops the
# index at once while its startup stays one bare interpreter start (~30 ms); the
# modules that do the work (~100 ms more: logging, ast, sysconfig...) load on a thread
# meanwhile, and a question waits for them.
import packaging


def load():
    global InvalidRequirement, Requirement, InvalidSpecifier, SpecifierSet
    global InvalidSdistFilename, InvalidWheelFilename, canonicalize_version
    global parse_sdist_filename, parse_wheel_filename, InvalidVersion, Version
    from packaging.requirements import InvalidRequirement, Requirement
    from packaging.specifiers import InvalidSpecifier, SpecifierSet
    from packaging.utils import (
        InvalidSdistFilename,
        InvalidWheelFilename,
        canonicalize_version,
        parse_sdist_filename,
        parse_wheel_filename,
    )
    from packaging.version import InvalidVersion, Version


loading = threading.Thread(target=load, daemon=True)
loading.start()


def version(v):
    return {
        "normalized": str(v),
        "canonical": canonicalize_version(v),
        "local": v.local,
        "is_postrelease": v.is_postrelease,
    }


def sort_key(value):
    try:
        return (1, Version(value))
    except InvalidVersion:
        return (0, None)


def answer(request):
    op, value = request["op"], request.get("value")
    if op == "hello":
        return {"packaging": packaging.__version__}
    loading.join()
    try:
        if op == "version":
            return {"version": version(Version(value))}
        if op == "specifiers":
            return {"normalized": str(SpecifierSet(value))}
        if op == "requirement":
            req = Requirement(value)
            return {"normalized": str(req), "url": req.url is not None}
        if op == "sdist_filename":
            name, v = parse_sdist_filename(value)
            return {"name": name, "version": version(v)}
        if op == "wheel_filename":
            name, v, _build, _tags = parse_wheel_filename(value)
            # Warehouse walks a frozenset of tags; the filename's order is stable.
            platforms = []
            for platform in value[: -len(".whl")].split("-")[-1].lower().split("."):
                if platform not in platforms:
                    platforms.append(platform)
            return {"name": name, "version": version(v), "platforms": platforms}
        if op == "sort_versions":
            return {"sorted": sorted(request["values"], key=sort_key)}
    except (
        InvalidVersion,
        InvalidSpecifier,
        InvalidRequirement,
        InvalidSdistFilename,
        InvalidWheelFilename,
    ) as exc:
        return {"error": str(exc)}
    return {"error": f"unknown op {op!r}"}


for line in sys.stdin:
    sys.stdout.write(json.dumps(answer(json.loads(line))) + "\n")
    sys.stdout.flush()
