'use strict';
// The C ABI (include/verifull.h) through koffi: loading, signatures, the caller-buffer
// convention, the policy struct. Only this module touches koffi. The constants and the
// vf_policy_options fields are checked against the header by tests/node/test_core.mjs.
const fs = require('fs');
const path = require('path');
const koffi = require('koffi');

const ABI_VERSION = 1;
const OK = 0;
const ERROR = {
  INPUT: -1, NULL_POINTER: -2, INVALID_HANDLE: -3, BUFFER_TOO_SMALL: -4, NETWORK: -5, BAD_VERSION: -6,
  OUT_OF_RANGE: -7, INTERNAL: -99,
};
const ENGINES = { openssl: 1, botan: 2, both: 3 };  // absent: VF_ENGINE_DEFAULT (0)
const PROFILES = { standard: 0, strict: 1 };
const POLICY_OPTIONS_VERSION = 4;
const ANCHOR_FIELDS = { subject: 0, not_before: 3, not_after: 4, sha256: 5, spki_sha256: 6 };

// Where libverifull may be: $VERIFULL_LIBRARY, the loader's search path (after meson
// install or the Debian package), a build*/ folder of this checkout.
function candidates() {
  const found = [];
  if (process.env.VERIFULL_LIBRARY) found.push(process.env.VERIFULL_LIBRARY);
  found.push(`libverifull.so.${ABI_VERSION}`);
  const repo = path.resolve(__dirname, '..', '..', '..');
  try {
    for (const entry of fs.readdirSync(repo).sort()) {
      const lib = path.join(repo, entry, 'src', `libverifull.so.${ABI_VERSION}`);
      if (entry.startsWith('build') && fs.existsSync(lib)) found.push(lib);
    }
  } catch { /* not a checkout */ }
  return found;
}

const PolicyOptions = koffi.struct('vf_policy_options', {
  version: 'unsigned int',
  host: 'const char *',
  pins: 'const char **',
  pin_count: 'size_t',
  engine: 'int',
  has_verification_time: 'int',
  verification_time: 'int64_t',
  max_intermediates: 'int',
  timeout_ms: 'unsigned int',
  refuse_admin_credentials: 'int',
  profile: 'int',
  allow_cn_fallback: 'int',
  // version 4: revocation (not exposed by this binding yet: left at the library's defaults)
  crls: 'const char **',
  crl_count: 'size_t',
  crl_pem: 'const char *',
  crl_pem_len: 'size_t',
  require_crl: 'int',
  // version 4: client certificates and clear-text passwords (not offered by the package yet: NULL/0)
  client_cert: 'const char *',
  client_key: 'const char *',
  client_key_passphrase: 'const char *',
  allow_cleartext_password: 'int',
});
koffi.opaque('vf_trust_struct');
koffi.opaque('vf_report_struct');

// Every function this package calls: a library without one of them (an older
// libverifull) is skipped for the next candidate.
function bind(lib) {
  return {
    last_error: lib.func('const char *vf_last_error_message(void)'),
    version_string: lib.func('const char *vf_version_string(void)'),
    last_error_outcome: lib.func('int vf_last_error_outcome(void)'),
    error_description: lib.func('const char *vf_error_description(int code)'),
    outcome_name: lib.func('const char *vf_outcome_name(int outcome)'),
    outcome_exit_code: lib.func('int vf_outcome_exit_code(int outcome)'),
    policy_options_init_size: lib.func('int vf_policy_options_init_size(_Out_ vf_policy_options *options, size_t size)'),
    trust_from_file: lib.func('int vf_trust_from_file(_Out_ vf_trust_struct **trust, const char *path)'),
    trust_from_pem: lib.func('int vf_trust_from_pem(_Out_ vf_trust_struct **trust, const uint8_t *pem, size_t len)'),
    trust_from_env: lib.func('int vf_trust_from_env(_Out_ vf_trust_struct **trust, const char *variable)'),
    trust_destroy: lib.func('int vf_trust_destroy(vf_trust_struct *trust)'),
    trust_anchor_count: lib.func('int vf_trust_anchor_count(vf_trust_struct *trust, _Out_ size_t *count)'),
    trust_anchor_field: lib.func('int vf_trust_anchor_field(vf_trust_struct *trust, size_t index, int field, _Out_ uint8_t *buf, _Inout_ size_t *len)'),
    trust_anchors_pem: lib.func('int vf_trust_anchors_pem(vf_trust_struct *trust, _Out_ uint8_t *buf, _Inout_ size_t *len)'),
    trust_anchors_file: lib.func('int vf_trust_anchors_file(vf_trust_struct *trust, _Out_ uint8_t *buf, _Inout_ size_t *len)'),
    verify_der_chain: lib.func('int vf_verify_der_chain(_Out_ vf_report_struct **report, const uint8_t **certs, const size_t *lens, size_t count, vf_trust_struct *trust, const vf_policy_options *options)'),
    check_with_message: lib.func('int vf_check_with_message(_Out_ vf_report_struct **report, const char *url, vf_trust_struct *trust, const vf_policy_options *options, _Out_ uint8_t *error_buf, _Inout_ size_t *error_len)'),
    report_json: lib.func('int vf_report_json(vf_report_struct *report, _Out_ uint8_t *buf, _Inout_ size_t *len)'),
    report_outcome: lib.func('int vf_report_outcome(vf_report_struct *report, _Out_ int *outcome)'),
    report_destroy: lib.func('int vf_report_destroy(vf_report_struct *report)'),
    tls_weak_reason: lib.func('int vf_tls_weak_reason(const char *protocol, const char *cipher, _Out_ uint8_t *buf, _Inout_ size_t *len)'),
    tls_strong_ciphers: lib.func('int vf_tls_strong_ciphers(_Out_ uint8_t *buf, _Inout_ size_t *len)'),
    parse_url: lib.func('int vf_parse_url(const char *url, _Out_ uint8_t *buf, _Inout_ size_t *len)'),
    mysql_clear_text_auth_plugins: lib.func('int vf_mysql_clear_text_auth_plugins(_Out_ uint8_t *buf, _Inout_ size_t *len)'),
  };
}

function load() {
  const errors = [];
  for (const candidate of candidates()) {
    let lib;
    try {
      lib = koffi.load(candidate);
    } catch (e) {
      errors.push(`${candidate}: ${e.message}`);
      continue;
    }
    const abi = lib.func('int vf_abi_version(void)')();
    if (abi !== ABI_VERSION) throw new Error(`${candidate} has C ABI version ${abi}; this package needs ${ABI_VERSION}`);
    try {
      return { lib, fn: bind(lib) };
    } catch (e) {
      errors.push(`${candidate}: ${e.message} (an older libverifull?)`);
    }
  }
  throw new Error('libverifull not found; install it or set VERIFULL_LIBRARY. Tried: ' + errors.join('; '));
}

const { lib, fn } = load();

// A failed call: .code is the VF_ERROR_* value; .outcome, after VF_ERROR_NETWORK, the
// outcome name the library gave it (vf_last_error_outcome), else null. The message is the
// library's: the call's last error, else the fixed description of the code.
class NativeError extends Error {
  constructor(code, message, outcome = null) {
    super(message || fn.error_description(code));
    this.code = code;
    this.outcome = outcome;
  }
}

// Throws the NativeError of a failed call made on this thread.
function check(rc) {
  if (rc === OK) return;
  const outcome = fn.last_error_outcome();
  throw new NativeError(rc, fn.last_error(), outcome >= 0 ? fn.outcome_name(outcome) : null);
}

// The CLI's exit code for an outcome that means "could not reach it" (vf_outcome_exit_code).
const EXIT_UNREACHABLE = 3;

// The names of the outcomes that mean the endpoint could not be reached, as the library
// classifies them, instead of a list kept here.
function unreachableOutcomes() {
  const names = [];
  for (let value = 0, code; (code = fn.outcome_exit_code(value)) >= 0; value += 1) {
    if (code === EXIT_UNREACHABLE) names.push(fn.outcome_name(value));
  }
  return names;
}

// Calls f(...args, buf, &len) with the C ABI's size-needed protocol; returns the string.
function stringOut(f, ...args) {
  let size = 512;
  for (;;) {
    const buf = Buffer.alloc(size);
    const len = [size];
    const rc = f(...args, buf, len);
    if (rc === ERROR.BUFFER_TOO_SMALL && len[0] > size) {
      size = len[0];
      continue;
    }
    check(rc);
    return buf.toString('utf8', 0, len[0] - 1);
  }
}

// The report handle as the CLI's JSON object; the handle is destroyed.
function reportJson(handle) {
  try {
    return JSON.parse(stringOut(fn.report_json, handle));
  } finally {
    fn.report_destroy(handle);
  }
}

module.exports = {
  koffi, lib, fn, OK, ERROR, ENGINES, PROFILES, POLICY_OPTIONS_VERSION, ANCHOR_FIELDS, NativeError, check,
  stringOut, reportJson, PolicyOptions, unreachableOutcomes,
};
