'use strict';
// The in-band check: on the TLS session a driver just negotiated, before the driver can
// send its startup or login packet, verifull's verdict on the chain the server presented
// (chain, name, pins, profile, engines) and the core's TLS-strength rule. Node's own
// verification (the anchors as `ca`, rejectUnauthorized) runs first and stays on.
const tls = require('tls');
const core = require('./core');

const SETTINGS = Symbol.for('verifull.settings');

// The settings a driver helper carries: the Trust, the normalised policy (host = the
// name dialled) and the Node TLS options that go with them.
function settingsFor(trust, policy, host) {
  core.trustOf(trust);
  const verifyPolicy = { ...policy, host };
  core.normalisePolicy(verifyPolicy);  // the host as the core will see it
  return {
    trust,
    policy: verifyPolicy,
    tls: {
      ca: trust.anchorsPem,
      rejectUnauthorized: true,
      minVersion: 'TLSv1.2',
      ciphers: core.nodeCiphers(),
    },
  };
}

// One Node TLS context per Trust, made from the settings' TLS options (the anchors as
// `ca`, TLS >= 1.2, the core's ciphers), none of which depends on the endpoint or the
// policy. Without it every connect built its own, parsing the anchors' PEM again (a
// quarter of a millisecond for one anchor); an https.Agent keeps its contexts the same
// way. Only what the drivers would configure identically is shared: each session is
// still verified by Node and by verifull's verdict. Node's client contexts keep no
// session cache, so sharing one resumes nothing.
const secureContexts = new WeakMap();
function secureContextFor(settings) {
  let context = secureContexts.get(settings.trust);
  if (!context) {
    context = tls.createSecureContext(settings.tls);
    secureContexts.set(settings.trust, context);
  }
  return context;
}

// The SHA-256 fingerprints of a Trust's anchors ("AB:CD:..."), made once per Trust.
const anchorFingerprints = new WeakMap();
function fingerprintsOf(trust) {
  if (!anchorFingerprints.has(trust)) anchorFingerprints.set(trust, new Set(trust.anchors.map((a) => a.sha256)));
  return anchorFingerprints.get(trust);
}

// The certificates as Node shows them (getPeerCertificate(true)): the leaf, then each
// issuer. Node completes what the server sent with the self-signed anchor it reached;
// a last certificate that is exactly one of the trust's anchors is left out (the core
// has it already), so the verdict does not parse and check it again on every connect.
function chainOf(cert, trust) {
  const chain = [];
  const seen = new Set();
  let last = null;
  for (let c = cert; c && c.raw && !seen.has(c); c = c.issuerCertificate) {
    seen.add(c);
    chain.push(c.raw);
    last = c;
  }
  if (chain.length > 1 && last.issuerCertificate === last && fingerprintsOf(trust).has(last.fingerprint256)) chain.pop();
  return chain;
}

// An Error refusing the session, or undefined when verifull accepts it. Never throws:
// anything unexpected refuses (fail closed). `shownCert`: the getPeerCertificate(true)
// Node already made for checkServerIdentity, when there is one (it is the socket's).
function checkSession(socket, settings, shownCert = null) {
  try {
    if (!socket || typeof socket.getPeerCertificate !== 'function' || typeof socket.getProtocol !== 'function') {
      return core.refusal('handshake_failed', 'verifull could not see the TLS session this driver negotiated (an '
        + 'unsupported driver version?); refused before anything was sent');
    }
    const cipher = socket.getCipher();
    const weak = core.weakTlsReason(socket.getProtocol(), cipher && cipher.name);
    if (weak) return core.refusal('weak_tls', weak, settings.policy.host);
    const cert = shownCert || socket.getPeerCertificate(true);
    if (!cert || !cert.raw) return core.refusal('invalid_chain', 'the server presented no certificate', settings.policy.host);
    const verdict = core.verifyChainVerdict(chainOf(cert, settings.trust), settings.trust, settings.policy);
    if (!verdict.ok) return new core.VerificationError(verdict.report());
    // The accepted verdict, for the curious: socket.verifullReport (made on first read).
    Object.defineProperty(socket, 'verifullReport', { get: verdict.report, configurable: true });
    return undefined;
  } catch (e) {
    return e instanceof core.VerifullError ? e : core.refusal('handshake_failed', `verifull could not check the session: ${e.message}`);
  }
}

// Node's own chain check runs before verifull's and may refuse first (its error codes are
// OpenSSL's X509 verify errors): the refusal is named by the core's outcome for it.
const NODE_CHAIN_OUTCOMES = {
  CERT_HAS_EXPIRED: 'expired',
  CERT_NOT_YET_VALID: 'not_yet_valid',
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: 'untrusted_issuer',
  UNABLE_TO_GET_ISSUER_CERT: 'untrusted_issuer',
  UNABLE_TO_GET_ISSUER_CERT_LOCALLY: 'untrusted_issuer',
  SELF_SIGNED_CERT_IN_CHAIN: 'untrusted_issuer',
  DEPTH_ZERO_SELF_SIGNED_CERT: 'untrusted_issuer',
  CERT_UNTRUSTED: 'untrusted_issuer',
  CERT_SIGNATURE_FAILURE: 'invalid_chain',
  INVALID_CA: 'invalid_chain',
  PATH_LENGTH_EXCEEDED: 'invalid_chain',
  INVALID_PURPOSE: 'bad_usage',
  CERT_REJECTED: 'untrusted_issuer',
};

function tlsRefusal(error, settings) {
  if (!error || error instanceof core.VerifullError) return error;
  const outcome = NODE_CHAIN_OUTCOMES[error.code];
  if (outcome) {
    return core.refusal(outcome, `the server's certificate chain does not lead to the given anchors (Node's TLS: `
      + `${error.message}); refused before anything was sent`, settings.policy.host);
  }
  if (error.code === 'EPROTO' || /^ERR_SSL_/.test(String(error.code))) {
    return core.refusal('handshake_failed', `the TLS handshake failed (Node's TLS: ${error.message.split('\n')[0]}); `
      + 'verifull offers TLS 1.3, and TLS 1.2 only with forward secrecy and AEAD; refused before anything was sent',
    settings.policy.host);
  }
  return error;
}

module.exports = { SETTINGS, settingsFor, secureContextFor, chainOf, checkSession, tlsRefusal };
