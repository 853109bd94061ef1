"""Verifies Sigstore bundles as GitHub's attestation store received them, with the real
`sigstore` client against a local Sigstore's trust root instead of the production one.

    verify_bundle.py --trust-root FILE --repository OWNER/REPO DIST BUNDLE [DIST BUNDLE ...]

What `gh attestation verify DIST --repo OWNER/REPO --predicate-type <PyPI publish>` checks:
the bundle verifies (certificate chained to the trust root's Fulcio, Rekor entry with its
inclusion proof and promise, DSSE signature), the certificate's Source Repository URI is
https://github.com/OWNER/REPO, and the signed in-toto statement's one subject is DIST by
name and sha256, with PyPI's publish predicate type. Prints `OK <file>` or
`FAIL <file>: <reason>` per pair; exits 1 if any failed.
"""
import argparse
import hashlib
import json
import pathlib
import sys

from sigstore.models import Bundle, TrustedRoot
from sigstore.verify import Verifier
from sigstore.verify.policy import OIDCSourceRepositoryURI

PUBLISH = "https://docs.pypi.org/attestations/publish/v1"


def check(verifier: Verifier, repository: str, dist: pathlib.Path, bundle: pathlib.Path) -> None:
    policy = OIDCSourceRepositoryURI(f"https://github.com/{repository}")
    payload_type, payload = verifier.verify_dsse(Bundle.from_json(bundle.read_bytes()), policy)
    if payload_type != "application/vnd.in-toto+json":
        raise ValueError(f"payload type {payload_type}")
    statement = json.loads(payload)
    if statement.get("predicateType") != PUBLISH:
        raise ValueError(f"predicate type {statement.get('predicateType')}")
    digest = hashlib.sha256(dist.read_bytes()).hexdigest()
    subjects = statement.get("subject", [])
    if subjects != [{"name": dist.name, "digest": {"sha256": digest}}]:
        raise ValueError(f"subjects {subjects}, not {dist.name} with sha256 {digest}")


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--trust-root", required=True)
    parser.add_argument("--repository", required=True)
    parser.add_argument("pairs", nargs="+")
    args = parser.parse_args()
    if len(args.pairs) % 2:
        parser.error("give DIST BUNDLE pairs")
    verifier = Verifier(trusted_root=TrustedRoot.from_file(args.trust_root))
    failed = 0
    for dist, bundle in zip(args.pairs[::2], args.pairs[1::2]):
        dist = pathlib.Path(dist)
        try:
            check(verifier, args.repository, dist, pathlib.Path(bundle))
            print(f"OK {dist.name}")
        except Exception as e:  # every failure is one line, whatever raised it
            failed += 1
            print(f"FAIL {dist.name}: {type(e).__name__}: {e}".replace("\n", " "))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
