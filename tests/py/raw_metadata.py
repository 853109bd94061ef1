"""The oracle: prints {basename: packaging.metadata.parse_email(raw)[0]} for each dist file,
with "__unparsed__" holding what packaging could not parse."""
import json
import pathlib
import sys
import tarfile
import zipfile

from packaging.metadata import parse_email


def metadata_bytes(path: pathlib.Path) -> bytes:
    name = path.name
    if name.endswith(".whl"):
        with zipfile.ZipFile(path) as z:
            [member] = [n for n in z.namelist() if n.count("/") == 1 and n.endswith(".dist-info/METADATA")]
            return z.read(member)
    if name.endswith(".zip"):
        with zipfile.ZipFile(path) as z:
            [member] = [n for n in z.namelist() if n.count("/") == 1 and n.endswith("/PKG-INFO")]
            return z.read(member)
    with tarfile.open(path, "r:gz") as t:
        [member] = [m for m in t.getmembers() if m.name.count("/") == 1 and m.name.endswith("/PKG-INFO")]
        return t.extractfile(member).read()


result = {}
for arg in sys.argv[1:]:
    path = pathlib.Path(arg)
    raw, unparsed = parse_email(metadata_bytes(path))
    entry = dict(raw)
    if unparsed:
        entry["__unparsed__"] = unparsed
    result[path.name] = entry
print(json.dumps(result, indent=1, sort_keys=True))
