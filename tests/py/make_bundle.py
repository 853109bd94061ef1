"""Makes a Sigstore bundle for a distribution with the real Python `sigstore` client (its
signing API: the `sigstore attest` command only offers the SLSA predicate types), against
the local Sigstore (tests/sigstore-mock) instead of the production one.

    make_bundle.py --trust-root FILE --url URL --token-env VAR [--predicate-type T]
        [--name NAME] [--sha256 HEX] DIST BUNDLE

The identity token is read from the environment variable VAR (never from the command line,
where `ps` would show it). The statement names DIST by its file name and sha256 unless
--name/--sha256 say otherwise (to make bundles for other files or other bytes), with PyPI's
publish predicate type unless --predicate-type names another. Writes the bundle (JSON) to
BUNDLE and prints `OK <BUNDLE>`.
"""
import argparse
import hashlib
import json
import os
import pathlib
import sys

from sigstore.dsse import Statement
from sigstore.models import ClientTrustConfig
from sigstore.oidc import IdentityToken
from sigstore.sign import SigningContext

PUBLISH = "https://docs.pypi.org/attestations/publish/v1"


def trust_config(trust_root: pathlib.Path, url: str) -> ClientTrustConfig:
    """The mock's trusted root plus a signing config naming its Fulcio and its Rekor v1."""
    valid = {"start": "2020-01-01T00:00:00Z"}
    service = {"url": url, "majorApiVersion": 1, "validFor": valid, "operator": "sigstore-mock"}
    config = {
        "mediaType": "application/vnd.dev.sigstore.clienttrustconfig.v0.1+json",
        "trustedRoot": json.loads(trust_root.read_text()),
        "signingConfig": {
            "mediaType": "application/vnd.dev.sigstore.signingconfig.v0.2+json",
            "caUrls": [service],
            "oidcUrls": [],
            "rekorTlogUrls": [service],
            "tsaUrls": [],
            "rekorTlogConfig": {"selector": "ANY"},
            "tsaConfig": {"selector": "ANY"},
        },
    }
    return ClientTrustConfig.from_json(json.dumps(config))


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--trust-root", required=True, type=pathlib.Path)
    parser.add_argument("--url", required=True)
    parser.add_argument("--token-env", required=True)
    parser.add_argument("--predicate-type", default=PUBLISH)
    parser.add_argument("--name")
    parser.add_argument("--sha256")
    parser.add_argument("dist", type=pathlib.Path)
    parser.add_argument("bundle", type=pathlib.Path)
    args = parser.parse_args()

    statement = {
        "_type": "https://in-toto.io/Statement/v1",
        "subject": [{
            "name": args.name or args.dist.name,
            "digest": {"sha256": args.sha256 or hashlib.sha256(args.dist.read_bytes()).hexdigest()},
        }],
        "predicateType": args.predicate_type,
        "predicate": {} if args.predicate_type == PUBLISH else {"buildDefinition": {}},
    }
    context = SigningContext.from_trust_config(trust_config(args.trust_root, args.url))
    token = IdentityToken(os.environ[args.token_env])
    with context.signer(token, cache=True) as signer:
        bundle = signer.sign_dsse(Statement(json.dumps(statement).encode()))
    args.bundle.write_text(bundle.to_json())
    print(f"OK {args.bundle}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
