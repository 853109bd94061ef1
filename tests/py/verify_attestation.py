"""Verifies PEP 740 publish attestations with PyPI's own packages (pypi-attestations +
sigstore), against a local Sigstore trust root instead of the production one.

    verify_attestation.py --trust-root FILE --repository OWNER/REPO --workflow FILE.yml \
        [--gitlab] DIST ATTESTATION [DIST ATTESTATION ...]

Prints one line per pair, `OK <file> <predicate type>` or `FAIL <file>: <reason>`, and
exits 1 if any failed. This is the check PyPI runs on upload (Attestation.verify with the
project's GitHub trusted publisher as the policy; with --gitlab, its GitLab trusted publisher:
--repository is then NAMESPACE/PROJECT and --workflow the CI file's path, e.g. .gitlab-ci.yml).
"""
import argparse
import pathlib
import sys

import pypi_attestations._impl as impl
from pypi_attestations import (
    Attestation,
    AttestationError,
    Distribution,
    GitHubPublisher,
    GitLabPublisher,
)
from sigstore.models import TrustedRoot
from sigstore.verify import Verifier


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--trust-root", required=True)
    parser.add_argument("--repository", required=True)
    parser.add_argument("--workflow", required=True)
    parser.add_argument("--gitlab", action="store_true")
    parser.add_argument("pairs", nargs="+")
    args = parser.parse_args()
    if len(args.pairs) % 2:
        parser.error("give DIST ATTESTATION pairs")

    root = TrustedRoot.from_file(args.trust_root)
    # Attestation.verify builds the production verifier itself; hand it ours instead.
    impl.Verifier.production = classmethod(lambda cls, offline=False: Verifier(trusted_root=root))
    if args.gitlab:
        publisher = GitLabPublisher(repository=args.repository, workflow_filepath=args.workflow)
    else:
        publisher = GitHubPublisher(repository=args.repository, workflow=args.workflow)

    failed = 0
    for dist_path, att_path in zip(args.pairs[::2], args.pairs[1::2]):
        dist = Distribution.from_file(pathlib.Path(dist_path))
        try:
            attestation = Attestation.model_validate_json(pathlib.Path(att_path).read_bytes())
            predicate_type, _ = attestation.verify(publisher, dist)
            print(f"OK {dist.name} {predicate_type}")
        except (AttestationError, ValueError) as e:
            failed += 1
            print(f"FAIL {dist.name}: {e}".replace("\n", " "))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
