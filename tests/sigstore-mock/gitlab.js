// Fulcio's certificate for a GitLab CI identity token. @sigstore/mock maps only GitHub's
// claims (to github.com URLs); for a token whose issuer is GitLab this issues the
// certificate itself, with the extensions the real Fulcio's `gitlab-pipeline` CI provider
// template gives (fulcio config/identity/config.yaml): the SAN and Build Signer/Config URI
// `https://{ci_config_ref_uri}`, Source Repository URI `{iss}/{project_path}`, Source
// Repository Ref `refs/heads|tags/{ref}`, Digest `sha`, and the rest. PyPI's GitLab
// publisher policy (pypi-attestations) reads the issuer, the Source Repository URI, the
// Build Config URI, and the Source Repository Digest and Ref.
'use strict';

const x509 = require('@peculiar/x509');

const GITLAB = 'https://gitlab.com';
const OID = (n) => `1.3.6.1.4.1.57264.1.${n}`;

/** The JWT's claims, unverified (Fulcio's signature check is not modelled). */
function claimsOf(request) {
  const jwt = request.credentials && request.credentials.oidcIdentityToken;
  if (typeof jwt !== 'string') return {};
  try {
    return JSON.parse(Buffer.from(jwt.split('.')[1], 'base64url').toString('utf8'));
  } catch {
    return {};
  }
}

/** Whether a (shape-adapted) Fulcio request carries a GitLab token. */
function isGitLab(request) {
  return claimsOf(request).iss === GITLAB;
}

function extensions(c) {
  const out = [];
  const add = (n, value, legacy = false) => {
    if (value !== undefined && !String(value).includes('undefined')) {
      out.push({ oid: OID(n), value: String(value), legacy });
    }
  };
  const has = (...names) => names.every((name) => c[name] !== undefined);
  add(1, c.iss, true);
  add(8, c.iss);
  if (has('ci_config_ref_uri')) {
    add(9, `https://${c.ci_config_ref_uri}`);
    add(18, `https://${c.ci_config_ref_uri}`);
  }
  add(10, c.ci_config_sha);
  add(11, c.runner_environment);
  if (has('project_path')) add(12, `${c.iss}/${c.project_path}`);
  add(13, c.sha);
  if (has('ref', 'ref_type')) add(14, `refs/${c.ref_type === 'branch' ? 'heads' : 'tags'}/${c.ref}`);
  add(15, c.project_id);
  if (has('namespace_path')) add(16, `${c.iss}/${c.namespace_path}`);
  add(17, c.namespace_id);
  add(19, c.ci_config_sha);
  add(20, c.pipeline_source);
  if (has('project_path', 'job_id')) add(21, `${c.iss}/${c.project_path}/-/jobs/${c.job_id}`);
  add(22, c.project_visibility);
  return out;
}

const der = (pem) => Buffer.from(pem.replace(/-{5}(BEGIN|END) [^-]*-{5}/g, '').replace(/\s/g, ''), 'base64');
const pem = (bytes) =>
  `-----BEGIN CERTIFICATE-----\n${Buffer.from(bytes).toString('base64').match(/.{1,64}/g).join('\n')}\n-----END CERTIFICATE-----\n`;

/** Fulcio's answer to `request` (a parsed signingCert body) from `ca`. */
async function issue(ca, request) {
  const claims = claimsOf(request);
  if (!claims.ci_config_ref_uri) {
    return { statusCode: 400, response: 'GitLab token without ci_config_ref_uri' };
  }
  const publicKey = request.publicKeyRequest
    ? request.publicKeyRequest.publicKey.content
    : new x509.Pkcs10CertificateRequest(request.certificateSigningRequest).publicKey.toString('pem');
  const leaf = await ca.issueCertificate({
    publicKey: der(publicKey),
    subjectAltName: `https://${claims.ci_config_ref_uri}`,
    extensions: extensions(claims),
  });
  const chain = { certificates: [pem(leaf), pem(ca.rootCertificate)] };
  return {
    statusCode: 201,
    response: JSON.stringify({ signedCertificateEmbeddedSct: { chain } }),
    contentType: 'application/json',
  };
}

module.exports = { isGitLab, issue };
