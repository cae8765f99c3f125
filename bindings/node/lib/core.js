'use strict';
// Trust, policies, reports, errors, check() and verifyChain(): the C ABI as JavaScript.
// Every rule comes from the core through the C ABI; this file adds none of its own.
const koffi = require('koffi');
const native = require('./native');

const { fn } = native;

// Outcomes that mean "could not reach it" rather than "it failed a check" (CLI exit 3),
// as the library classifies them.
const NETWORK_OUTCOMES = new Set(native.unreachableOutcomes());

class VerifullError extends Error {
  constructor(message) {
    super(message);
    this.name = this.constructor.name;
  }
}

/** Bad input: a malformed CA file, a private key passed as a CA, a bad URL, host or pin. */
class InputError extends VerifullError {}

/** The endpoint or its certificate failed a check. `.outcome` is the stable code
 * (name_mismatch, untrusted_issuer, tls_unavailable, weak_tls, ...); `.report` the facts. */
class VerificationError extends VerifullError {
  constructor(report) {
    super(`${report.endpoint ? report.endpoint + ': ' : ''}${report.outcome}: ${report.message}`);
    this.outcome = report.outcome;
    this.report = report;
  }
}

/** The endpoint could not be reached (timeout, refused, unresolved, handshake). */
class NetworkError extends VerificationError {}

class Report {
  constructor(data) {
    this.endpoint = data.endpoint || '';
    this.ok = Boolean(data.ok);
    this.outcome = data.outcome;
    this.message = data.message;
    this.tlsVersion = data.tls_version || null;
    this.cipher = data.cipher || null;
    this.anchor = data.anchor || null;
    this.chain = data.chain || [];
    this.engines = data.engines || [];
    this.warnings = data.warnings || [];
  }

  /** Returns this report when ok; throws VerificationError (or NetworkError) otherwise. */
  raiseForOutcome() {
    if (this.ok) return this;
    throw NETWORK_OUTCOMES.has(this.outcome) ? new NetworkError(this) : new VerificationError(this);
  }
}

// A report the binding makes itself for a refusal the driver saw (no TLS offered):
// the outcome is the core's name for it.
function refusal(outcome, message, endpoint = '') {
  const report = new Report({ endpoint, ok: false, outcome, message });
  return NETWORK_OUTCOMES.has(outcome) ? new NetworkError(report) : new VerificationError(report);
}

function rethrow(error) {
  if (error instanceof native.NativeError) {
    if (error.code === native.ERROR.INPUT || error.code === native.ERROR.BAD_VERSION) throw new InputError(error.message);
    // The library names the outcome (vf_last_error_outcome) when the call ran on this
    // thread; a worker's (vf_check_with_message) cannot be seen from here.
    if (error.code === native.ERROR.NETWORK) throw refusal(error.outcome || 'name_not_resolved', error.message);
    throw new VerifullError(error.message);
  }
  throw error;
}

function text(value, name) {
  if (typeof value !== 'string') throw new InputError(`${name} must be a string, not ${value === null ? 'null' : typeof value}`);
  if (value.includes('\0')) throw new InputError(`${name} contains a NUL character`);
  return value;
}

// Trust handles are released when their Trust is collected.
const trustRegistry = new FinalizationRegistry((handle) => fn.trust_destroy(handle));

/** Trust anchors: the CA certificates a server must chain to. Loading is strict. */
class Trust {
  constructor(handle, token) {
    if (token !== Trust.#token) throw new InputError('use Trust.fromFile, Trust.fromPem or Trust.fromEnv');
    this._handle = handle;
    trustRegistry.register(this, handle);
  }

  static #token = Symbol('Trust');

  static #load(f, ...args) {
    const out = [null];
    try {
      native.check(f(out, ...args));
    } catch (e) {
      rethrow(e);
    }
    return new Trust(out[0], Trust.#token);
  }

  static fromFile(path) {
    return Trust.#load(fn.trust_from_file, text(path, 'path'));
  }

  static fromPem(pem) {
    let data;
    if (typeof pem === 'string') data = Buffer.from(pem, 'utf8');
    else if (Buffer.isBuffer(pem) || pem instanceof Uint8Array) data = Buffer.from(pem);
    else throw new InputError(`pem must be a string or a Buffer, not ${pem === null ? 'null' : typeof pem}`);
    return Trust.#load(fn.trust_from_pem, data, data.length);
  }

  static fromEnv(variable) {
    return Trust.#load(fn.trust_from_env, text(variable, 'variable'));
  }

  /** [{subject, sha256, spki_sha256, not_before, not_after}] for each anchor. */
  get anchors() {
    const count = [0];
    native.check(fn.trust_anchor_count(this._handle, count));
    const out = [];
    for (let i = 0; i < Number(count[0]); i++) {
      const anchor = {};
      for (const [name, code] of Object.entries(native.ANCHOR_FIELDS)) {
        anchor[name] = native.stringOut(fn.trust_anchor_field, this._handle, i, code);
      }
      out.push(anchor);
    }
    return out;
  }

  /** The anchors as PEM text (what a TLS stack's `ca` option takes). */
  get anchorsPem() {
    if (this._anchorsPem === undefined) this._anchorsPem = native.stringOut(fn.trust_anchors_pem, this._handle);
    return this._anchorsPem;
  }

  /** A kept, content-addressed PEM file of the anchors (valid after this Trust is gone). */
  get anchorsFile() {
    return native.stringOut(fn.trust_anchors_file, this._handle);
  }
}

function trustOf(trust) {
  if (!(trust instanceof Trust)) {
    throw new InputError(`trust must be a verifull.Trust (fromFile, fromPem or fromEnv), not ${trust === null ? 'null' : typeof trust}`);
  }
  return trust;
}

const POLICY_KEYS = new Set(['host', 'pins', 'engine', 'profile', 'allowCnFallback', 'timeout', 'at']);

/** Checks a policy object; returns it normalised. InputError names the bad setting. A
 * setting this binding does not know is refused by name, never dropped. */
function normalisePolicy(policy = {}) {
  if (policy === null || typeof policy !== 'object' || Array.isArray(policy)) throw new InputError('policy must be an object');
  for (const key of Object.keys(policy)) {
    if (!POLICY_KEYS.has(key)) throw new InputError(`unknown policy setting "${key}" (known: ${[...POLICY_KEYS].join(', ')})`);
  }
  const { host = null, engine = null, profile = null, allowCnFallback = false, timeout = 10, at = null } = policy;
  let { pins = [] } = policy;
  if (host !== null) text(host, 'host');
  if (typeof pins === 'string') pins = [pins];
  if (!Array.isArray(pins)) throw new InputError("pins must be an array of 'sha256/BASE64' strings");
  pins.forEach((p, i) => text(p, `pins[${i}]`));
  if (engine !== null && !Object.hasOwn(native.ENGINES, engine)) throw new InputError(`unknown engine ${JSON.stringify(engine)} (expected 'openssl', 'botan' or 'both')`);
  if (profile !== null && !Object.hasOwn(native.PROFILES, profile)) throw new InputError(`unknown profile ${JSON.stringify(profile)} (expected 'standard' or 'strict')`);
  if (typeof allowCnFallback !== 'boolean') throw new InputError('allowCnFallback must be true or false');
  if (typeof timeout !== 'number' || !Number.isFinite(timeout) || timeout <= 0 || timeout > 3600) throw new InputError('timeout must be a number of seconds between 0 and 3600');
  if (at !== null && !Number.isSafeInteger(at)) throw new InputError('at must be Unix seconds (an integer)');
  return { host, pins, engine, profile, allowCnFallback, timeout, at };
}

// A vf_policy_options object for koffi, starting from the library's own defaults.
function policyOptions(policy) {
  const opts = {};
  // The size of the struct this binding declares (native.js), so the library fills
  // exactly that layout and its version.
  native.check(fn.policy_options_init_size(opts, koffi.sizeof(native.PolicyOptions)));
  opts.host = policy.host;
  opts.pins = policy.pins.length ? policy.pins : null;
  opts.pin_count = policy.pins.length;
  if (policy.engine !== null) opts.engine = native.ENGINES[policy.engine];
  if (policy.profile !== null) opts.profile = native.PROFILES[policy.profile];
  opts.allow_cn_fallback = policy.allowCnFallback ? 1 : 0;
  opts.timeout_ms = Math.max(1, Math.round(policy.timeout * 1000));
  if (policy.at !== null) {
    opts.has_verification_time = 1;
    opts.verification_time = policy.at;
  }
  return opts;
}

/** The parts of a postgres:// or mysql:// URL (the core's parser): protocol, host, port,
 * user, password, database, params. InputError never repeats the password. */
function parseUrl(url) {
  try {
    return JSON.parse(native.stringOut(fn.parse_url, text(url, 'url')));
  } catch (e) {
    return rethrow(e);
  }
}

/** Probes a postgres:// or mysql:// endpoint and verifies what it presents; never sends a
 * credential. Resolves with the Report whatever the verdict; rejects with InputError for
 * bad input. The probe runs on libuv's thread pool: the event loop is never blocked. It
 * settles by the policy's timeout (plus a small margin) whatever the peer or resolver does. */
function check(url, trust, policy = {}) {
  return new Promise((resolve, reject) => {
    let opts;
    let p;
    try {
      p = normalisePolicy(policy);
      if (p.host !== null) throw new InputError('policy.host must not be set for check(): the URL names the host');
      opts = policyOptions(p);
      text(url, 'url');
      trustOf(trust);
    } catch (e) {
      reject(e);
      return;
    }
    const out = [null];
    const errorBuf = Buffer.alloc(1024);
    const errorLen = [errorBuf.length];
    let settled = false;
    // The core keeps the deadline; this timer only guarantees the Promise does too.
    const backstop = setTimeout(() => {
      settled = true;
      reject(refusal('timeout', `no verdict within the ${p.timeout} s timeout`));
    }, p.timeout * 1000 + 500);
    fn.check_with_message.async(out, url, trust._handle, opts, errorBuf, errorLen, (err, rc) => {
      clearTimeout(backstop);
      void trust;  // keeps the Trust (and its handle) alive until the worker is done
      if (settled) {
        if (!err && rc === native.OK) fn.report_destroy(out[0]);
        return;
      }
      if (err) {
        reject(new VerifullError(err.message));
        return;
      }
      if (rc !== native.OK) {
        const message = errorBuf.toString('utf8', 0, Math.min(errorLen[0], errorBuf.length) - 1);
        try {
          rethrow(new native.NativeError(rc, message));
        } catch (e) {
          reject(e);
        }
        return;
      }
      resolve(new Report(native.reportJson(out[0])));
    });
  });
}

// Reports kept as handles until someone reads them (the in-band check on a connection's
// hot path needs only the outcome; the JSON is made on first use of the report).
const reportRegistry = new FinalizationRegistry((handle) => fn.report_destroy(handle));

/** The report handle of the check every verifull connection makes on a DER chain (the
 * leaf first, then intermediates): the one input check and call behind verifyChain and
 * verifyChainVerdict. */
function chainReportHandle(derCertificates, trust, policy) {
  const p = normalisePolicy(policy);
  if (p.host === null) throw new InputError('policy.host is required: verifull always verifies the name that was dialled');
  if (!Array.isArray(derCertificates) || derCertificates.length === 0) throw new InputError('derCertificates must be a non-empty array of Buffers');
  derCertificates.forEach((c, i) => {
    if (!(Buffer.isBuffer(c) || c instanceof Uint8Array)) throw new InputError(`derCertificates[${i}] must be a Buffer`);
  });
  const out = [null];
  try {
    native.check(fn.verify_der_chain(out, derCertificates, derCertificates.map((c) => c.length), derCertificates.length,
      trustOf(trust)._handle, policyOptions(p)));
  } catch (e) {
    rethrow(e);
  }
  return out[0];
}

/** The verdict on a DER chain as { ok, outcome, report() }: verifyChain without the
 * report's JSON unless report() is called. */
function verifyChainVerdict(derCertificates, trust, policy) {
  const handle = chainReportHandle(derCertificates, trust, policy);
  const code = [0];
  native.check(fn.report_outcome(handle, code));
  const verdict = { ok: code[0] === 0, outcome: fn.outcome_name(code[0]) };
  const token = {};
  reportRegistry.register(verdict, handle, token);
  let report = null;
  verdict.report = () => {
    if (report === null) {
      reportRegistry.unregister(token);
      report = new Report(native.reportJson(handle));
    }
    return report;
  };
  return verdict;
}

/** Verifies a chain given as DER certificates (Buffers; the leaf first, then
 * intermediates, as a TLS handshake presented them) for policy.host: exactly the check
 * every verifull connection makes. Returns the Report whatever the verdict. */
function verifyChain(derCertificates, trust, policy) {
  return new Report(native.reportJson(chainReportHandle(derCertificates, trust, policy)));
}

// The core's answer for each (protocol, cipher) pair, kept: the rule depends on the two
// names only, and a process meets a handful of pairs (at most 64 are kept).
const weakReasons = new Map();

/** Why a negotiated session is too weak (the core's rule), or null. */
function weakTlsReason(protocol, cipher) {
  const key = `${String(protocol || '')}\0${String(cipher || '')}`;
  let reason = weakReasons.get(key);
  if (reason === undefined) {
    reason = native.stringOut(fn.tls_weak_reason, String(protocol || ''), String(cipher || ''));
    if (weakReasons.size >= 64) weakReasons.clear();
    weakReasons.set(key, reason);
  }
  return reason === '' ? null : reason;
}

let strongCiphers;
/** The cipher list for Node's `ciphers` option: TLS 1.3's suites (all acceptable) and the
 * TLS 1.2 suites the core allows. */
function nodeCiphers() {
  if (strongCiphers === undefined) {
    const tls13 = require('tls').DEFAULT_CIPHERS.split(':').filter((c) => c.startsWith('TLS_'));
    strongCiphers = [...tls13, native.stringOut(fn.tls_strong_ciphers)].join(':');
  }
  return strongCiphers;
}

module.exports = {
  NETWORK_OUTCOMES, VerifullError, InputError, VerificationError, NetworkError, Report, Trust, trustOf, normalisePolicy,
  policyOptions, parseUrl, check, verifyChain, verifyChainVerdict, weakTlsReason, nodeCiphers, refusal, text,
  version: fn.version_string(),
};
