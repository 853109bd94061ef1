"""The PyPI oracle: what PyPI's upload endpoint does TODAY with each distribution file,
built from the libraries PyPI itself validates uploads with.

    pypi_oracle.py FILE... [--index URL --token SECRET]

Prints {filename: {"verdict": "accept"|"refuse", "code", "message", "reasons": [...]}}.
`code` is the `pypi-publish check` rule code the refusal maps to; `message` is PyPI's
wording; `reasons` lists every refusal found (PyPI stops at the first, `code`; the rest
are what it would say next), so a checker can be held to the first and told about the rest.

The model follows Warehouse's `file_upload` (warehouse/forklift/legacy.py) step by step:
1. the upload form exactly as twine 7 builds it from the file's metadata (PyPI validates
   the FORM, not the file: `metadata.parse(None, form_data=...)`), less what the
   `sanitize` decorator drops (values "UNKNOWN");
2. `UploadForm` (name pattern, filetype, pyversion);
3. `parse_form_metadata` -> `packaging.metadata.Metadata.from_raw`, then Warehouse's own
   rules (`_validate_metadata`: metadata versions, local versions, summary length,
   `email-validator` on parseaddr'd addresses, `trove-classifiers`, `rfc3986` URLs,
   Project-URL labels, *-Dist requirements, Dynamic, License vs License-Expression);
4. the description rendered by `readme_renderer` (no fallback);
5. filename characters and extension, the archive (`_is_valid_dist_file`), the sdist
   filename (PEP 625) or the wheel filename (platform tags, normalized name, version),
   License-File members, RECORD and entry_points.txt.
Not modelled: ZIP record framing (`warehouse.utils.zipfiles`), YARA scanning, and what
depends on the project's state (ownership, duplicates, 14-day-old releases, size limits).

With --index, each file is also uploaded to that index (the project's test index) with
the same form, and its answer is added as "index": {"status", "message"}.
"""
from __future__ import annotations

import argparse, configparser, csv, email.message, hashlib, json, os, re, sys, tarfile, zipfile  # noqa: E401

import email_validator
import packaging.utils
import readme_renderer.markdown, readme_renderer.rst, readme_renderer.txt  # noqa: E401
import requests
import rfc3986, rfc3986.exceptions, rfc3986.validators  # noqa: E401
from packaging.metadata import (_LIST_FIELDS, _RAW_TO_EMAIL_MAPPING, _STRING_FIELDS, InvalidMetadata,
                                Metadata, _parse_keywords, _parse_project_urls, parse_email)
from packaging.requirements import InvalidRequirement, Requirement
from packaging.version import Version
from trove_classifiers import all_classifiers, deprecated_classifiers
from twine.package import _RAW_TO_PACKAGE_METADATA, _safe_name
from twine.sdist import SDist
from twine.wheel import Wheel

SUPPORTED_METADATA_VERSIONS = {"1.0", "1.1", "1.2", "2.1", "2.2", "2.3", "2.4", "2.5"}
# PEP 643 + PEP 794 fields Warehouse lets `Dynamic` name (forklift/metadata.py).
DYNAMIC_ALLOWED = {f.lower() for f in (
    "Platform Supported-Platform Summary Description Description-Content-Type Keywords "
    "Home-Page Download-Url Author Author-Email Maintainer Maintainer-Email License "
    "License-Expression License-File Classifier Requires-Dist Requires-Python "
    "Requires-External Project-Url Provides-Extra Provides-Dist Obsoletes-Dist Requires "
    "Provides Obsoletes Import-Name Import-Namespace").split()}
PROJECT_NAME_RE = re.compile(r"^([A-Z0-9]|[A-Z0-9][A-Z0-9._-]*[A-Z0-9])\Z", re.I | re.A)
# Metadata field (email name) -> `check` rule code. Anything else: its own name.
FIELD_CODES = {
    "metadata-version": "metadata-version", "name": "name", "version": "version",
    "summary": "summary", "author-email": "email", "maintainer-email": "email",
    "classifier": "classifier", "home-page": "url", "download-url": "url",
    "project-url": "project-url", "requires-dist": "requirement",
    "provides-dist": "requirement", "obsoletes-dist": "requirement",
    "requires-python": "requires-python", "description-content-type": "content-type",
    "dynamic": "dynamic", "license": "license-deprecated",
    "license-expression": "license-expression",
}
ERROR_ORDER = ["metadata-version", "name", "version"]  # legacy.py _error_message_order


class Refused(Exception):
    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code, self.message = code, message


# -- 1. the form twine sends -------------------------------------------------------------

def twine_form(path: str) -> list[tuple[str, str]]:
    """twine 7's `PackageFile.metadata_dictionary` + `_convert_metadata_to_list_of_tuples`,
    without twine's own client-side refusals (those are not PyPI's)."""
    dist = Wheel(path) if path.endswith(".whl") else SDist(path)
    raw, _unparsed = parse_email(dist.read())
    if Version(raw.get("metadata_version", "0")) < Version("2.4"):
        raw.pop("license_files", None)  # old setuptools' License-File: twine drops it
    form: list[tuple[str, str]] = []
    for key, value in raw.items():
        field = _RAW_TO_PACKAGE_METADATA.get(key)
        if not field:
            continue
        if field == "name":
            value = _safe_name(value)
        if field == "project_urls":
            form += [(field, f"{label}, {url}") for label, url in value.items()]
        elif field == "keywords":
            form.append((field, ", ".join(value)))
        elif isinstance(value, list):
            form += [(field, v) for v in value]
        else:
            form.append((field, value))
    if "name" not in raw:
        form.append(("name", ""))
    form += [("pyversion", dist.py_version),
             ("filetype", "bdist_wheel" if path.endswith(".whl") else "sdist")]
    data = open(path, "rb").read()
    form += [("sha256_digest", hashlib.sha256(data).hexdigest()),
             ("blake2_256_digest", hashlib.blake2b(data, digest_size=32).hexdigest())]
    return form


def getall(form, key):
    return [v for k, v in form if k == key]


# -- 2./3. form and metadata -------------------------------------------------------------

def sanitize(form: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """Warehouse's `sanitize` decorator (forklift/decorators.py): a key whose (last) value
    is distutils' "UNKNOWN" is deleted, every value of it; NUL characters are escaped."""
    last = dict(form)
    form = [(k, v) for k, v in form if last[k].strip() != "UNKNOWN"]
    return [(k, v.replace("\x00", "\\x00")) if "\x00" in last[k] else (k, v) for k, v in form]


def parseaddr(addr: str) -> tuple[str, str]:
    """`email.utils.parseaddr(addr)` as PyPI's Python (3.14, strict by default) runs it:
    anything but exactly one well-formed address gives ('', ''), so a field listing
    several addresses is not validated at all. This Python (3.11) lacks `strict`; its
    address parser (`AddressList`) is the same as 3.14's, and the strict checks around it
    follow 3.14's `email.utils`: parentheses must balance outside closed double quotes
    (an unclosed quote hides nothing), backslash escapes honoured; a `[` left in the
    address is a failure."""
    from email._parseaddr import AddressList

    chars, escaped = [], False
    for c in addr:
        if escaped:
            chars.append(None)  # an escaped character is never a quote or a parenthesis
            escaped = False
        elif c == "\\":
            escaped = True
        else:
            chars.append(c)
    if escaped:
        chars.append("\\")
    outside, start, opened = [], 0, None
    for i, c in enumerate(chars):
        if c == '"':
            if opened is None:
                opened = i
            else:
                outside += chars[start:opened]
                start, opened = i + 1, None
    outside += chars[start:]
    depth = 0
    for c in outside:
        if c == "(":
            depth += 1
        elif c == ")":
            depth -= 1
            if depth < 0:
                return ("", "")
    if depth != 0:
        return ("", "")
    addrs = AddressList(addr).addresslist
    if len(addrs) != 1 or "[" in addrs[0][1]:
        return ("", "")
    return addrs[0]


def check_upload_form(form) -> None:
    name = (getall(form, "name") or [""])[0]
    if not name or not PROJECT_NAME_RE.match(name):
        raise Refused("name", f"{name!r} is an invalid value for Name.")
    filetype = getall(form, "filetype")[0]
    pyversion = (getall(form, "pyversion") or [""])[0]
    if filetype == "sdist" and pyversion not in ("", "source"):
        raise Refused("form", "Use 'source' as Python version for an sdist.")
    if filetype != "sdist" and not pyversion:
        raise Refused("form", "Python version is required for binary distribution uploads.")


def form_metadata(form) -> Metadata:
    """Warehouse's `parse_form_metadata`: form keys back to RawMetadata, then `from_raw`."""
    to_raw = {{"platforms": "platform", "supported_platforms": "supported_platform",
               "license_files": "license_file", "import_names": "import_name",
               "import_namespaces": "import_namespace"}.get(k, k): k for k in _RAW_TO_EMAIL_MAPPING}
    raw, unparsed = {}, []
    for key in dict.fromkeys(k for k, _ in form):
        raw_name = to_raw.get(key)
        if raw_name is None:
            continue
        value = getall(form, key)
        if value == [""]:
            continue
        if raw_name in _STRING_FIELDS and len(value) == 1:
            raw[raw_name] = value[0]
        elif raw_name in _LIST_FIELDS:
            raw[raw_name] = value
        elif raw_name == "keywords" and len(value) == 1:
            raw[raw_name] = _parse_keywords(value[0])
        elif raw_name == "project_urls":
            try:
                raw[raw_name] = _parse_project_urls(value)
            except KeyError:
                unparsed.append(key)
        else:
            unparsed.append(key)
    if unparsed:
        raise ExceptionGroup("unparsed", [InvalidMetadata(k, f"{k!r} has invalid data") for k in unparsed])
    return Metadata.from_raw(raw)


def is_valid_uri(uri: str) -> bool:
    """warehouse.utils.http.is_valid_uri(require_authority=False)."""
    ref = rfc3986.uri_reference(uri).normalize()
    validator = (rfc3986.validators.Validator().allow_schemes("http", "https")
                 .require_presence_of("scheme")
                 .check_validity_of("scheme", "host", "port", "path", "query"))
    try:
        validator.validate(ref)
    except rfc3986.exceptions.ValidationError:
        return False
    return True


def warehouse_rules(meta: Metadata) -> list[InvalidMetadata]:
    """The rules Warehouse layers on top of `packaging` (forklift/metadata.py)."""
    errors = []
    err = lambda field, msg: errors.append(InvalidMetadata(field, msg))  # noqa: E731
    if meta.metadata_version not in SUPPORTED_METADATA_VERSIONS:
        err("metadata-version", f"{meta.metadata_version!r} is not a valid metadata version")
    if meta.version.local:
        err("local-version", f"The use of local versions in '{meta.version}' is not allowed.")
    if isinstance(meta.summary, str) and len(meta.summary) > 512:
        err("summary", "'summary' field must be 512 characters or less.")
    for field in ("author_email", "maintainer_email"):
        if (value := getattr(meta, field)) is not None:
            _, address = parseaddr(value)
            if address:
                try:
                    email_validator.validate_email(address, check_deliverability=False)
                except email_validator.EmailNotValidError as exc:
                    err(_RAW_TO_EMAIL_MAPPING[field], f"{address!r} is not a valid email address: {exc}")
    classifiers = set(meta.classifiers or [])
    for c in sorted(classifiers - set(all_classifiers)):
        err("classifier", f"{c!r} is not a valid classifier.")
    for c in sorted(classifiers & deprecated_classifiers.keys()):
        by = deprecated_classifiers[c]
        err("classifier", f"The classifier {c!r} has been deprecated"
            + (f", use one of {by} instead." if by else "."))
    for field in ("home_page", "download_url"):
        if (url := getattr(meta, field)) is not None and not is_valid_uri(url):
            err(_RAW_TO_EMAIL_MAPPING[field], f"{url!r} is not a valid url.")
    for label, url in (meta.project_urls or {}).items():
        if not label:
            err("project-url", "Must have a label")
        elif len(label) > 32:
            err("project-url", f"{label!r} must be 32 characters or less.")
        elif not url:
            err("project-url", "Must have a URL")
        elif not is_valid_uri(url):
            err("project-url", f"{url!r} is not a valid url")
    for field in ("provides_dist", "obsoletes_dist"):
        for text in getattr(meta, field) or []:
            try:
                req = Requirement(text)
            except InvalidRequirement as exc:
                err(_RAW_TO_EMAIL_MAPPING[field], f"{text!r} is invalid: {exc}")
            else:
                if req.url is not None:
                    err(_RAW_TO_EMAIL_MAPPING[field], f"Can't have direct dependency: {text!r}")
    for req in meta.requires_dist or []:
        if req.url is not None:
            err("requires-dist", f"Can't have direct dependency: {req}")
    for key in meta.dynamic or []:
        if key not in DYNAMIC_ALLOWED:
            err("dynamic", f"Dynamic field {key!r} is not a valid dynamic field.")
    if meta.license and meta.license_expression:
        err("license", "License is deprecated when License-Expression is present. "
            "Only License-Expression should be present.")
    return errors


def metadata_code(error: InvalidMetadata) -> str:
    message = str(error)
    if " introduced in metadata version " in message:
        return "field-version"  # from_raw: a field the declared Metadata-Version lacks
    if "local versions" in message:
        return "local-version"
    field = error.field.replace("_", "-").lower()
    return FIELD_CODES.get(field, field)


def check_metadata(form) -> Metadata:
    try:
        meta = form_metadata(form)
        errors = warehouse_rules(meta)
    except ExceptionGroup as group:
        meta, errors = None, list(group.exceptions)
    if not errors:
        return meta
    fields = {e.field.replace("_", "-").lower() for e in errors}
    first = next((f for f in ERROR_ORDER if f in fields), sorted(fields)[0])
    errors.sort(key=lambda e: e.field.replace("_", "-").lower() != first)
    raise ExceptionGroup("metadata", [Refused(metadata_code(e), str(e).rstrip(".") + ".") for e in errors])


def check_description(meta: Metadata) -> None:
    if not meta.description:
        return
    content_type = meta.description_content_type or "text/x-rst"
    msg = email.message.EmailMessage()
    msg["content-type"] = content_type
    renderer = {"text/plain": readme_renderer.txt, "text/x-rst": readme_renderer.rst,
                "text/markdown": readme_renderer.markdown}.get(msg.get_content_type(), readme_renderer.txt)
    if renderer.render(meta.description) is None:
        where = (f"for '{content_type}'" if meta.description_content_type
                 else "in the default format of reStructuredText")
        raise Refused("description-rst" if renderer is readme_renderer.rst else "description",
                      f"The description failed to render {where}.")


# -- 5. the file ---------------------------------------------------------------------------

def common_top(names: list[str]) -> str:
    try:
        return os.path.commonpath(names)
    except ValueError:
        return ""


def check_filename(filename: str, filetype: str) -> None:
    if any(ord(c) < 32 or ord(c) == 127 for c in filename):
        raise Refused("filename-characters", "Cannot upload a file with non-printable characters "
                      "(ordinals 0-31) or the DEL character (ordinal 127) in the name.")
    if "/" in filename or "\\" in filename:
        raise Refused("filename-characters", "Cannot upload a file with '/' or '\\' in the name.")
    m = re.match(r".+?(?P<ext>\.(tar\.gz|zip|whl))$", filename, re.I)
    allowed = {"sdist": {".zip", ".tar.gz"}, "bdist_wheel": {".whl"}}[filetype]
    if not m or m.group("ext") not in allowed:
        raise Refused("filename", "Invalid file extension.")


def check_archive(path: str, filename: str) -> None:
    """`_is_valid_dist_file`, less YARA and the ZIP framing rules."""
    is_zip, is_tar = zipfile.is_zipfile(path), tarfile.is_tarfile(path)
    bad = lambda why: Refused("archive", f"Invalid distribution file. {why}")  # noqa: E731
    if is_zip and is_tar:
        raise bad("File is both a zip and a tar file")
    if filename.endswith((".zip", ".whl")):
        if not is_zip:
            raise bad("File is not a zipfile")
        with zipfile.ZipFile(path) as z:
            unpacked = sum(i.file_size for i in z.infolist())
            if unpacked > 64 << 20 and unpacked / os.stat(path).st_size > 50:
                raise bad("File exceeds compression ratio of 50")
            if any(i.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED) for i in z.infolist()):
                raise bad("File does not use a supported compression type")
            if filename.endswith(".zip"):
                top = common_top(z.namelist())
                if top in (".", "/", ""):
                    raise bad("Incorrect number of top-level directories in sdist")
                if os.path.join(top, "PKG-INFO") not in z.namelist():
                    raise bad(f"PKG-INFO not found at {top}/PKG-INFO")
            else:
                name, version, _ = filename.split("-", 2)
                if f"{name}-{version}.dist-info/WHEEL" not in z.namelist():
                    raise bad(f"WHEEL not found at {name}-{version}.dist-info/WHEEL")
    else:
        if not is_tar:
            raise bad("File is not a tarfile")
        with tarfile.open(path, "r:gz") as t:
            top = common_top(t.getnames())
            if any(m.issparse() for m in t.getmembers()):
                raise bad("tar archive not accepted: Sparse members are not allowed.")
            if top in (".", "/", ""):
                raise bad("Incorrect number of top-level directories in sdist")
            try:
                t.getmember(os.path.join(top, "PKG-INFO"))
            except KeyError:
                raise bad(f"PKG-INFO not found at {top}/PKG-INFO")


def check_sdist_name(path: str, filename: str, meta: Metadata, project: str) -> None:
    try:
        name, _ = packaging.utils.parse_sdist_filename(filename)
    except packaging.utils.InvalidSdistFilename:
        raise Refused("sdist-filename", f"Invalid source distribution filename: {filename}")
    if (meta.version.is_postrelease and name != packaging.utils.canonicalize_name(meta.name)
            and filename.count("-") >= 2):
        name = filename.rpartition("-")[0].rpartition("-")[0]  # a hyphen inside the version
    if packaging.utils.canonicalize_name(name) != project:
        raise Refused("filename-name", f"Start filename for {meta.name!r} with {project.replace('-', '_')!r}.")
    expected = f"{project.replace('-', '_')}-{meta.version}.tar.gz"
    if filename != expected:
        raise Refused("sdist-filename", f"Filename {filename!r} is invalid, should be {expected!r}.")
    with tarfile.open(path, "r:gz") as t:
        top = common_top(t.getnames())
        for lf in meta.license_files or []:
            try:
                t.getmember(os.path.join(top, lf))
            except KeyError:
                raise Refused("license-file", f"License-File {lf} does not exist in distribution "
                              f"file {filename} at {top}/{lf}")


def _valid_platform_tag(tag: str) -> bool:
    if tag in {"any", "win32", "win_arm64", "win_amd64", "win_ia64", "manylinux1_x86_64",
               "manylinux1_i686", "manylinux2010_x86_64", "manylinux2010_i686",
               "manylinux2014_x86_64", "manylinux2014_i686", "manylinux2014_aarch64",
               "manylinux2014_armv7l", "manylinux2014_ppc64", "manylinux2014_ppc64le",
               "manylinux2014_s390x", "linux_armv6l", "linux_armv7l"}:
        return True
    m = re.match(r"macosx_(?P<major>\d+)_(?P<minor>\d+)_(?P<arch>.*)", tag)
    arches = {"ppc", "ppc64", "i386", "x86_64", "arm64", "intel", "fat", "fat3", "fat64",
              "universal", "universal2"}
    if m and m["arch"] in arches and (m["major"] == "10" or (
            m["major"] in {"11", "12", "13", "14", "15", "26"} and m["minor"] == "0")):
        return True
    linux = {"x86_64", "i686", "aarch64", "armv7l", "ppc64le", "s390x", "riscv64"}
    m = re.match(r"(?P<libc>(many|musl))linux_(\d+)_(\d+)_(?P<arch>.*)", tag)
    if m:
        return m["arch"] in (linux | {"ppc64"} if m["libc"] == "many" else linux)
    m = re.match(r"ios_(\d+)_(\d+)_(?P<arch>.*)_(iphoneos|iphonesimulator)", tag)
    if m and m["arch"] in {"arm64", "x86_64"}:
        return True
    m = re.match(r"android_(\d+)_(?P<arch>.*)", tag)
    if m and m["arch"] in {"armeabi_v7a", "arm64_v8a", "x86", "x86_64"}:
        return True
    return bool(re.match(r"pyemscripten_(\d+)_(\d+)_wasm32", tag))


def check_wheel_name(path: str, filename: str, meta: Metadata, project: str) -> None:
    try:
        name, version, _, tags = packaging.utils.parse_wheel_filename(filename)
    except packaging.utils.InvalidWheelFilename as e:
        raise Refused("filename", str(e))
    for tag in tags:
        if not _valid_platform_tag(tag.platform):
            raise Refused("platform-tag", f"Binary wheel '{filename}' has an unsupported "
                          f"platform tag '{tag.platform}'.")
    canonical = packaging.utils.canonicalize_name(meta.name)
    if canonical != name:
        raise Refused("filename-name", f"Start filename for {meta.name!r} with {canonical.replace('-', '_')!r}.")
    part = filename.split("-", 1)[0]
    if part != project.replace("-", "_"):
        raise Refused("wheel-name", f"Filename {filename!r} should contain the normalized project "
                      f"name {project.replace('-', '_')!r}, not {part!r}.")
    if meta.version != version:
        raise Refused("filename-version", f"Version in filename should be {str(meta.version)!r} not {str(version)!r}.")
    name, version, _ = filename.split("-", 2)
    info = f"{name}-{version}.dist-info"
    with zipfile.ZipFile(path) as z:
        names = set(z.namelist())
        for lf in meta.license_files or []:
            if f"{info}/licenses/{lf}" not in names:
                raise Refused("license-file", f"License-File {lf} does not exist in distribution "
                              f"file {filename} at {info}/licenses/{lf}")
        try:
            list(csv.reader(z.read(f"{info}/RECORD").decode().splitlines()))
        except (KeyError, UnicodeError, csv.Error):
            raise Refused("archive", f"Wheel '{filename}' does not contain the required RECORD file: {info}/RECORD")
        check_entry_points(z, f"{info}/entry_points.txt", filename)
        if f"{info}/METADATA" not in names:
            raise Refused("archive", f"Wheel '{filename}' does not contain the required METADATA file: {info}/METADATA")


def check_entry_points(z: zipfile.ZipFile, member: str, filename: str) -> None:
    refused = Refused("entry-points", f"Wheel '{filename}' has invalid entry points defined in the entry_points.txt file")
    try:
        text = z.read(member).decode()
    except KeyError:
        return
    except UnicodeError:
        raise refused
    parser = configparser.ConfigParser(delimiters=("=",))
    parser.optionxform = str
    try:
        parser.read_string(text)
    except configparser.Error:
        raise refused
    for section in ("console_scripts", "gui_scripts"):
        if section in parser and any(not re.fullmatch(r"[\w.-]+", k) for k in parser[section]):
            raise refused


# -- the verdict -----------------------------------------------------------------------------

def verdict(path: str) -> dict:
    filename = os.path.basename(path)
    reasons: list[Refused] = []
    try:
        form = twine_form(path)
    except Exception as e:  # twine cannot even read it: PyPI would not get a form
        return {"verdict": "refuse", "code": "archive", "message": f"{type(e).__name__}: {e}",
                "reasons": [{"code": "archive", "message": str(e)}]}
    steps_left = True
    form = sanitize(form)
    try:
        check_upload_form(form)
    except Refused as r:
        reasons.append(r)
    meta = None
    try:
        meta = check_metadata(form)
    except ExceptionGroup as group:
        reasons += group.exceptions
    if meta is None:  # the file steps need the parsed metadata: read it leniently
        meta = Metadata.from_raw(form_metadata_raw(form), validate=False)
        steps_left = False
    filetype = getall(form, "filetype")[0]
    project = packaging.utils.canonicalize_name(getall(form, "name")[0] or "unknown")
    for step in (lambda: check_description(meta), lambda: check_filename(filename, filetype),
                 lambda: check_archive(path, filename),
                 lambda: (check_sdist_name if filetype == "sdist" else check_wheel_name)(path, filename, meta, project)):
        try:
            step()
        except Refused as r:
            reasons.append(r)
        except Exception:  # lenient metadata may lack a field a later step reads:
            if steps_left:  # PyPI stopped at the metadata anyway, the step is skipped
                raise
    out = {"verdict": "refuse" if reasons else "accept",
           "reasons": [{"code": r.code, "message": r.message} for r in reasons]}
    if reasons:
        out.update(code=reasons[0].code, message=reasons[0].message)
    return out


def form_metadata_raw(form) -> dict:
    raw = {}
    for k in ("metadata_version", "name", "version", "description", "description_content_type"):
        if v := getall(form, k):
            raw[k] = v[0]
    if v := getall(form, "license_file"):
        raw["license_files"] = v
    return raw


def upload(index: str, token: str, path: str, form) -> dict:
    """POSTs the form and the file as twine does; returns the index's status and reason."""
    session = requests.Session()
    session.trust_env = False  # loopback only: no proxy
    with open(path, "rb") as f:
        r = session.post(index, auth=("__token__", token), timeout=60,
                         data=form + [(":action", "file_upload"), ("protocol_version", "1")],
                         files={"content": (os.path.basename(path), f, "application/octet-stream")})
    return {"status": r.status_code, "message": "" if r.ok else r.reason}


def main() -> int:
    ap = argparse.ArgumentParser(description="What PyPI does with each file today.")
    ap.add_argument("files", nargs="+")
    ap.add_argument("--index", help="also upload each file there (the test index)")
    ap.add_argument("--token", default="")
    args = ap.parse_args()
    out = {}
    for path in args.files:
        out[os.path.basename(path)] = v = verdict(path)
        if args.index:
            try:
                v["index"] = upload(args.index, args.token, path, twine_form(path))
            except Exception as e:
                v["index"] = {"status": 0, "message": f"{type(e).__name__}: {e}"}
    print(json.dumps(out, indent=1, sort_keys=True))
    return 0


if __name__ == "__main__":
    sys.exit(main())
