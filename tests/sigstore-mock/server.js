// A local Fulcio + Rekor v1 for tests: @sigstore/mock's own CA, CT log and transparency log
// behind a plain node:http server on 127.0.0.1, plus the trust root a verifier needs.
//
//   node server.js --trust-root FILE [--port 0]
//
// First stdout line: `listening on http://127.0.0.1:PORT`. Fulcio is at that URL
// (`POST /api/v2/signingCert`), Rekor too (`POST /api/v1/log/entries`). The trust root
// (protobuf-JSON TrustedRoot: CA root, CT log key, Rekor key with logId = sha256 of its
// SPKI) is written to FILE before that line is printed.
//
// Adaptations to match the real services: a CSR sent as base64 of its PEM with the token in
// an `Authorization` header (Fulcio's API, what sigstore-python sends) is handed to the mock
// in the shape it parses; and a proposed `dsse` 0.0.1 entry is stored in the canonical form
// Rekor stores (envelopeHash, payloadHash, signatures[{signature, verifier}]), which is what
// verifiers compare the bundle against; the mock would store it verbatim.
//
// Fault injection for error-path tests: `POST /_/fault {"service":"fulcio"|"rekor",
// "status":503,"count":1}` makes the next `count` requests to that service answer `status`
// (replacing any faults still queued; count 0 clears them). `POST /_/delay
// {"service":"rekor","ms":300}` holds every answer of that service that long (0: none), and
// `GET /_/stats` answers `{"fulcio":{"requests","max_in_flight"},"rekor":{…}}`: how many
// requests each service got and the most it was answering at once (concurrency tests).
'use strict';

const crypto = require('node:crypto');
const fs = require('node:fs');
const http = require('node:http');
const {
  fulcioHandler,
  initializeCA,
  initializeCTLog,
  initializeTLog,
  rekorHandler,
} = require('@sigstore/mock');
const gitlab = require('./gitlab');

function arg(name, fallback) {
  const i = process.argv.indexOf(name);
  return i >= 0 && i + 1 < process.argv.length ? process.argv[i + 1] : fallback;
}

const p256 = () => crypto.generateKeyPairSync('ec', { namedCurve: 'P-256' });
const spki = (key) => key.export({ format: 'der', type: 'spki' });
const sha256 = (bytes) => crypto.createHash('sha256').update(bytes).digest();

// Rekor re-encodes the verifier certificate; PEM with 64-column LF lines is what it stores
// and what sigstore-python rebuilds from the bundle's certificate.
function canonicalPem(pem) {
  const der = new crypto.X509Certificate(pem).raw;
  const lines = der.toString('base64').match(/.{1,64}/g).join('\n');
  return `-----BEGIN CERTIFICATE-----\n${lines}\n-----END CERTIFICATE-----\n`;
}

// Fulcio's API takes the CSR as base64 of its PEM and the identity token in the body or as
// the `Authorization: Bearer` header (sigstore-python sends both that way); the mock parses
// a PEM string and reads the body's token. Anything else passes unchanged.
function fulcioJson(body, headers) {
  const json = JSON.parse(body);
  const bearer = /^Bearer (.+)$/i.exec(headers.authorization || '');
  if (!json.credentials && bearer) json.credentials = { oidcIdentityToken: bearer[1] };
  const csr = json.certificateSigningRequest;
  if (typeof csr === 'string' && !csr.startsWith('-----BEGIN')) {
    const pem = Buffer.from(csr, 'base64').toString('utf8');
    if (pem.startsWith('-----BEGIN')) json.certificateSigningRequest = pem;
  }
  return json;
}

// Rekor's canonical dsse 0.0.1 body for a proposed entry (rekor pkg/types/dsse/v0.0.1).
function canonicalDsse(proposed) {
  const content = proposed.spec && proposed.spec.proposedContent;
  if (!content) return proposed;
  const envelope = JSON.parse(content.envelope);
  const verifiers = content.verifiers.map((v) =>
    Buffer.from(canonicalPem(Buffer.from(v, 'base64').toString('utf8'))).toString('base64'),
  );
  if (envelope.signatures.length !== verifiers.length) {
    throw new Error('each DSSE signature needs exactly one verifier');
  }
  return {
    apiVersion: '0.0.1',
    kind: 'dsse',
    spec: {
      envelopeHash: { algorithm: 'sha256', value: sha256(Buffer.from(content.envelope)).toString('hex') },
      payloadHash: {
        algorithm: 'sha256',
        value: sha256(Buffer.from(envelope.payload, 'base64')).toString('hex'),
      },
      signatures: envelope.signatures.map((s, i) => ({ signature: s.sig, verifier: verifiers[i] })),
    },
  };
}

function trustRoot(url, caRoot, ctKey, rekorKey) {
  const validFor = { start: '2020-01-01T00:00:00Z' };
  const log = (key) => ({
    baseUrl: url,
    hashAlgorithm: 'SHA2_256',
    publicKey: {
      rawBytes: spki(key).toString('base64'),
      keyDetails: 'PKIX_ECDSA_P256_SHA_256',
      validFor,
    },
    logId: { keyId: sha256(spki(key)).toString('base64') },
  });
  return {
    mediaType: 'application/vnd.dev.sigstore.trustedroot+json;version=0.1',
    tlogs: [log(rekorKey)],
    certificateAuthorities: [
      {
        subject: { organization: 'sigstore.mock', commonName: 'sigstore' },
        uri: url,
        certChain: { certificates: [{ rawBytes: caRoot.toString('base64') }] },
        validFor,
      },
    ],
    ctlogs: [log(ctKey)],
    timestampAuthorities: [],
  };
}

async function main() {
  const trustRootPath = arg('--trust-root');
  if (!trustRootPath) {
    console.error('usage: node server.js --trust-root FILE [--port 0]');
    process.exit(2);
  }
  const faults = { fulcio: [], rekor: [] };
  const delays = { fulcio: 0, rekor: 0 };
  const stats = {
    fulcio: { requests: 0, in_flight: 0, max_in_flight: 0 },
    rekor: { requests: 0, in_flight: 0, max_in_flight: 0 },
  };
  let routes = null;
  const server = http.createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', async () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const send = (status, text, type = 'text/plain') => {
        res.writeHead(status, { 'Content-Type': type });
        res.end(text);
      };
      try {
        if (req.method === 'POST' && req.url === '/_/fault') {
          const { service, status, count } = JSON.parse(body);
          faults[service] = [];
          for (let i = 0; i < count; i++) faults[service].push(status);
          return send(204, '');
        }
        if (req.method === 'POST' && req.url === '/_/delay') {
          const { service, ms } = JSON.parse(body);
          delays[service] = ms;
          return send(204, '');
        }
        if (req.method === 'GET' && req.url === '/_/stats') {
          const view = (s) => ({ requests: s.requests, max_in_flight: s.max_in_flight });
          return send(200, JSON.stringify({ fulcio: view(stats.fulcio), rekor: view(stats.rekor) }), 'application/json');
        }
        const route = req.method === 'POST' && routes[req.url];
        if (!route) return send(404, 'not found');
        const counts = stats[route.service];
        counts.requests += 1;
        counts.in_flight += 1;
        counts.max_in_flight = Math.max(counts.max_in_flight, counts.in_flight);
        try {
          if (delays[route.service]) {
            await new Promise((resolve) => setTimeout(resolve, delays[route.service]));
          }
          const fault = faults[route.service].shift();
          if (fault) return send(fault, `${route.service} unavailable (injected fault)`);
          const out = await route.fn(body, req.headers);
          send(out.statusCode, out.response, out.contentType);
        } finally {
          counts.in_flight -= 1;
        }
      } catch (e) {
        send(400, String(e.message || e));
      }
    });
  });
  await new Promise((resolve) => server.listen(Number(arg('--port', '0')), '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${server.address().port}`;

  const ctKeys = p256();
  const rekorKeys = p256();
  const ctLog = await initializeCTLog(ctKeys);
  const ca = await initializeCA(p256(), ctLog);
  const tlog = await initializeTLog(url, rekorKeys);
  const fulcio = fulcioHandler(ca);
  const rekor = rekorHandler(tlog);
  routes = {
    [fulcio.path]: {
      service: 'fulcio',
      // GitLab tokens get the real Fulcio's GitLab extensions (gitlab.js).
      fn: (body, headers) => {
        const request = fulcioJson(body, headers);
        return gitlab.isGitLab(request) ? gitlab.issue(ca, request) : fulcio.fn(JSON.stringify(request));
      },
    },
    [rekor.path]: {
      service: 'rekor',
      fn: (body) => rekor.fn(JSON.stringify(canonicalDsse(JSON.parse(body)))),
    },
  };

  fs.writeFileSync(trustRootPath, JSON.stringify(trustRoot(url, ca.rootCertificate, ctKeys.publicKey, rekorKeys.publicKey), null, 2));
  process.stdout.write(`listening on ${url}\n`);
  const stop = () => server.close(() => process.exit(0));
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
