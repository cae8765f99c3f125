/*
 * verifull C ABI.
 *
 * The contract (stable across minor versions; VERIFULL_ABI_VERSION changes otherwise):
 *  - Handles are opaque pointers. Create them with the vf_*_from_* / vf_verify_*
 *    functions and release them with the matching vf_*_destroy. vf_*_destroy(NULL) is a
 *    no-op; a stale or foreign pointer is rejected with VF_ERROR_INVALID_HANDLE.
 *  - Every function returns an int: VF_OK (0) or a negative VF_ERROR_* code, and sets
 *    the calling thread's last error when it fails. The only exceptions are the calls that
 *    cannot fail and return a value instead: vf_last_error_message, vf_version_string,
 *    vf_error_description, vf_outcome_name and vf_mysql_option_file_missing_socket return
 *    pointers to NUL-terminated strings the library owns (never NULL); vf_abi_version,
 *    vf_last_error_outcome and vf_outcome_exit_code return a number. None of them changes
 *    the last error.
 *  - A refused certificate is not an error: vf_verify_pem returns VF_OK and a report
 *    whose outcome (VF_OUTCOME_*) says why. Errors mean the call could not run.
 *  - Strings in are NUL-terminated UTF-8 unless a length is passed. Strings out go to a
 *    caller buffer: pass buf and *len = its size; on return *len holds the size needed
 *    including the NUL. When the buffer is too small (or NULL) the call returns
 *    VF_ERROR_BUFFER_TOO_SMALL and writes nothing.
 *  - After an error, vf_last_error_message() describes it on the calling thread. Check
 *    the return code first: the message is only meaningful right after a failure.
 *  - No C++ exception ever crosses this boundary.
 */
#ifndef VERIFULL_H
#define VERIFULL_H

#include <stddef.h>
#include <stdint.h>

#include "verifull/version.h"

#if defined(_WIN32)
#define VF_API __declspec(dllexport)
#else
#define VF_API __attribute__((visibility("default")))
#endif

#ifdef __cplusplus
extern "C" {
#endif

/* Return codes. */
#define VF_OK 0
#define VF_ERROR_INPUT (-1)            /* bad input: malformed PEM, bad host, bad pin... */
#define VF_ERROR_NULL_POINTER (-2)     /* a required pointer argument was NULL */
#define VF_ERROR_INVALID_HANDLE (-3)   /* not a live handle of the expected type */
#define VF_ERROR_BUFFER_TOO_SMALL (-4) /* *len now holds the size needed */
#define VF_ERROR_NETWORK (-5)          /* unreachable, refused, timeout */
#define VF_ERROR_BAD_VERSION (-6)      /* an options struct with an unknown version */
#define VF_ERROR_OUT_OF_RANGE (-7)     /* an index past the end */
#define VF_ERROR_INTERNAL (-99)        /* a bug in verifull: please report it */

/* Outcomes of a verification (stable; the CLI's JSON uses the names). */
#define VF_OUTCOME_OK 0
#define VF_OUTCOME_UNTRUSTED_ISSUER 1
#define VF_OUTCOME_NAME_MISMATCH 2
#define VF_OUTCOME_EXPIRED 3
#define VF_OUTCOME_NOT_YET_VALID 4
#define VF_OUTCOME_BAD_USAGE 5
#define VF_OUTCOME_WEAK_CRYPTO 6
#define VF_OUTCOME_PIN_MISMATCH 7
#define VF_OUTCOME_INVALID_CHAIN 8
#define VF_OUTCOME_ENGINES_DISAGREE 9
#define VF_OUTCOME_TLS_UNAVAILABLE 10
#define VF_OUTCOME_PROTOCOL_VIOLATION 11
#define VF_OUTCOME_HANDSHAKE_FAILED 12
#define VF_OUTCOME_NAME_NOT_RESOLVED 13
#define VF_OUTCOME_CONNECTION_REFUSED 14
#define VF_OUTCOME_TIMEOUT 15
#define VF_OUTCOME_NETWORK_ERROR 16
#define VF_OUTCOME_CONNECTION_FAILED 17
#define VF_OUTCOME_ADMIN_CREDENTIAL 18
#define VF_OUTCOME_WEAK_TLS 19 /* TLS 1.2 without forward secrecy or an AEAD cipher */
#define VF_OUTCOME_REVOKED 20 /* a CRL lists a certificate of the chain */
#define VF_OUTCOME_CRL_EXPIRED 21 /* a CRL for the chain is past its nextUpdate */
#define VF_OUTCOME_CRL_BAD_SIGNATURE 22 /* a CRL under an issuer's name its key did not sign */
#define VF_OUTCOME_CRL_MISSING 23 /* require_crl: no CRL given for an issuer of the chain */
#define VF_OUTCOME_LAST VF_OUTCOME_CRL_MISSING

/* Verification engines. */
#define VF_ENGINE_DEFAULT 0
#define VF_ENGINE_OPENSSL 1
#define VF_ENGINE_BOTAN 2
#define VF_ENGINE_BOTH 3

/* Fields of a certificate, for vf_report_cert_field and vf_trust_anchor_field. */
#define VF_CERT_SUBJECT 0
#define VF_CERT_ISSUER 1
#define VF_CERT_SANS 2 /* comma-separated, "DNS:a.example, IP:10.0.0.1" */
#define VF_CERT_NOT_BEFORE 3
#define VF_CERT_NOT_AFTER 4
#define VF_CERT_SHA256 5
#define VF_CERT_SPKI_SHA256 6
#define VF_CERT_PEM 7

typedef struct vf_trust_struct* vf_trust_t;
typedef struct vf_report_struct* vf_report_t;

/* ---- library ------------------------------------------------------------------- */
VF_API int vf_abi_version(void);
VF_API const char* vf_version_string(void);
VF_API const char* vf_last_error_message(void);
/* After VF_ERROR_NETWORK: what happened, as a VF_OUTCOME_* (VF_OUTCOME_TIMEOUT,
 * VF_OUTCOME_NAME_NOT_RESOLVED, ...); -1 after any other error. Thread-local, like the
 * message. */
VF_API int vf_last_error_outcome(void);
/* "ok", "name_mismatch", ...; "unknown" for a value this library does not know. */
VF_API const char* vf_outcome_name(int outcome);
/* A fixed sentence for a return code ("bad input" for VF_ERROR_INPUT, ...; "unknown
 * error code" for a value this library does not know), never NULL: the library owns it.
 * For a binding's message when it has no other words; vf_last_error_message says what
 * went wrong in the call itself. */
VF_API const char* vf_error_description(int code);

/* ---- trust anchors ------------------------------------------------------------- */
VF_API int vf_trust_from_file(vf_trust_t* trust, const char* path);
VF_API int vf_trust_from_pem(vf_trust_t* trust, const char* pem, size_t pem_len);
VF_API int vf_trust_from_env(vf_trust_t* trust, const char* variable);
VF_API int vf_trust_destroy(vf_trust_t trust);
VF_API int vf_trust_anchor_count(vf_trust_t trust, size_t* count);
/* field: VF_CERT_SUBJECT, VF_CERT_NOT_BEFORE, VF_CERT_NOT_AFTER, VF_CERT_SHA256,
 * VF_CERT_SPKI_SHA256. */
VF_API int vf_trust_anchor_field(vf_trust_t trust, size_t index, int field, char* buf,
                                 size_t* len);
/* A path to the anchors as one PEM file, for drivers that take only a path. It is
 * content-addressed in a private 0700 directory and kept, so it stays valid after the
 * trust handle is destroyed and in child processes, and never names other anchors. */
VF_API int vf_trust_anchors_file(vf_trust_t trust, char* buf, size_t* len);

/* ---- policy -------------------------------------------------------------------- */
/* Certificate profiles (vf_policy_options.profile). Standard accepts what libpq
 * verify-full accepts, minus verifull's security rules, and lists encoding deviations
 * (missing key identifiers, non-critical basicConstraints, ...) as report warnings;
 * strict refuses them (RFC 5280 / CA/B profile, OpenSSL's X509_STRICT). */
#define VF_PROFILE_STANDARD 0
#define VF_PROFILE_STRICT 1

/* Version 2 added refuse_admin_credentials, version 3 profile and allow_cn_fallback,
 * version 4 revocation (CRLs), client certificates and the clear-text opt-in; structs of
 * earlier versions are still accepted (their missing fields take the defaults: standard
 * profile, no CN fallback, no CRL, no client certificate, no clear-text password). */
#define VF_POLICY_OPTIONS_VERSION 4
typedef struct vf_policy_options {
  unsigned int version;      /* VF_POLICY_OPTIONS_VERSION */
  const char* host;          /* required: DNS name or IP literal that was dialled */
  const char* const* pins;   /* "sha256/BASE64" strings, or NULL */
  size_t pin_count;
  int engine;                /* VF_ENGINE_* */
  int has_verification_time; /* nonzero: verify as of verification_time */
  int64_t verification_time; /* Unix seconds */
  int max_intermediates;     /* negative: library default */
  unsigned int timeout_ms;   /* network timeouts; 0: library default (10 s) */
  int refuse_admin_credentials; /* connections: refuse an administrator credential */
  int profile;               /* VF_PROFILE_STANDARD or VF_PROFILE_STRICT (version 3) */
  int allow_cn_fallback;     /* nonzero: a DNS name may match the subject CN of a
                                certificate without subjectAltName, as libpq does
                                (version 3) */
  /* version 4: revocation */
  const char* const* crls;    /* CRL files or directories (PEM or DER), or NULL */
  size_t crl_count;
  const char* crl_pem;        /* in-memory CRLs (PEM, concatenated), or NULL */
  size_t crl_pem_len;
  int require_crl;            /* nonzero: an issuer with no CRL given refuses */
  /* version 4: client certificates and clear-text passwords */
  const char* client_cert;    /* PEM file: the client certificate (chain) */
  const char* client_key;     /* PEM file: its private key */
  const char* client_key_passphrase;
  int allow_cleartext_password;
} vf_policy_options;
#define VF_POLICY_OPTIONS_INIT \
  { VF_POLICY_OPTIONS_VERSION, NULL, NULL, 0, VF_ENGINE_DEFAULT, 0, 0, -1, 0, 0, VF_PROFILE_STANDARD, 0, \
    NULL, 0, NULL, 0, 0, NULL, NULL, NULL, 0 }

/* ---- offline verification ------------------------------------------------------ */
/* presented_pem: the leaf first, then intermediates as a server would send them.
 * untrusted_pem (may be NULL): extra intermediates for path building.
 * Returns VF_OK and a report for any verdict, VF_ERROR_INPUT for malformed input. */
VF_API int vf_verify_pem(vf_report_t* report, const char* presented_pem, size_t presented_len,
                         const char* untrusted_pem, size_t untrusted_len, vf_trust_t trust,
                         const vf_policy_options* options);

/* ---- reports ------------------------------------------------------------------- */
VF_API int vf_report_destroy(vf_report_t report);
VF_API int vf_report_outcome(vf_report_t report, int* outcome);
VF_API int vf_report_message(vf_report_t report, char* buf, size_t* len);
/* The whole report as one JSON object (the CLI's --json format). */
VF_API int vf_report_json(vf_report_t report, char* buf, size_t* len);
VF_API int vf_report_chain_length(vf_report_t report, size_t* length);
VF_API int vf_report_cert_field(vf_report_t report, size_t index, int field, char* buf,
                                size_t* len);

/* ---- endpoints: probe ------------------------------------------------------------ */
/* Probes a postgres:// or mysql:// URL and verifies what it presents; never sends a
 * credential. options->host may be NULL (the URL's host is verified). */
VF_API int vf_check(vf_report_t* report, const char* url, vf_trust_t trust,
                    const vf_policy_options* options);

/* ---- PostgreSQL (libpq) ------------------------------------------------------------ */
typedef struct vf_pg_struct* vf_pg_t;
#define VF_WAIT_READ 1
#define VF_WAIT_WRITE 2
#define VF_WAIT_DONE 3

/* Connects with sslmode=verify-full and verifull's in-band check before the startup
 * packet. Returns VF_OK and a handle whether or not the server was accepted: check
 * vf_pg_report's outcome. conninfo_or_url: a postgres:// URL or "key=value" string.
 * options->host must be NULL (the names come from the connection string). */
VF_API int vf_pg_connect(vf_pg_t* pg, const char* conninfo_or_url, vf_trust_t trust,
                         const vf_policy_options* options);
/* The non-blocking form: vf_pg_connect_start, then vf_pg_connect_poll whenever
 * *socket is ready for *wait, until *wait is VF_WAIT_DONE. */
VF_API int vf_pg_connect_start(vf_pg_t* pg, const char* conninfo_or_url, vf_trust_t trust,
                               const vf_policy_options* options);
VF_API int vf_pg_connect_poll(vf_pg_t pg, int* wait, int* socket);
/* How long an event loop may wait for *socket before calling vf_pg_connect_poll anyway:
 * *ms is the time left until the deadline (options->timeout_ms from the start), 0 once
 * it passed (the next poll then ends the connect with VF_OUTCOME_TIMEOUT) or when done. */
VF_API int vf_pg_connect_time_left(vf_pg_t pg, unsigned int* ms);
/* A new report handle (destroy it with vf_report_destroy). */
VF_API int vf_pg_report(vf_pg_t pg, vf_report_t* report);
/* The PGconn (as void*), borrowed: NULL unless the outcome is VF_OUTCOME_OK. */
VF_API int vf_pg_conn(vf_pg_t pg, void** pgconn);
/* Transfers the PGconn to the caller, who must PQfinish it; the handle keeps nothing. */
VF_API int vf_pg_release(vf_pg_t pg, void** pgconn);
VF_API int vf_pg_destroy(vf_pg_t pg);
/* The hardened conninfo string for other libpq users (psycopg). It names the trust's
 * anchors file, which is kept: the string stays correct after the trust handle is
 * destroyed and in child processes. No name is resolved: hostaddr is explicitly empty,
 * so libpq resolves the host on each connect and PGHOSTADDR cannot redirect it.
 * VF_ERROR_INPUT, naming them and vf_pg_connect, for
 * options a string cannot carry (pins, an engine other than openssl, the strict
 * profile, allow_cn_fallback, refuse_admin_credentials, ...): libpq uses the string by
 * itself and runs only its own verify-full. */
VF_API int vf_pg_conninfo(const char* conninfo_or_url, vf_trust_t trust,
                          const vf_policy_options* options, char* buf, size_t* len);

/* ---- MySQL / MariaDB (Connector/C) ------------------------------------------------- */
typedef struct vf_mysql_struct* vf_mysql_t;

/* Probes, verifies, then connects pinned to the approved certificate (approvals are
 * cached per endpoint, process-wide). Returns VF_OK and a handle whether or not the
 * server was accepted: check vf_mysql_report's outcome. url: mysql:// or mariadb://;
 * the password from the URL, else MYSQL_PWD. options->host: NULL, or a name to
 * verify instead of the URL's host. */
VF_API int vf_mysql_connect(vf_mysql_t* my, const char* url, vf_trust_t trust,
                            const vf_policy_options* options);
/* Configures and connects the caller's own handle (void* = MYSQL* from mysql_init).
 * *report receives the verdict (destroy it); on refusal the handle is not connected.
 * A handle that would read option files (MYSQL_READ_DEFAULT_FILE/GROUP) is refused
 * (VF_ERROR_INPUT): an option file could replace the CA and the pin. */
VF_API int vf_mysql_connect_handle(void* mysql, const char* url, vf_trust_t trust,
                                   const vf_policy_options* options, vf_report_t* report);
VF_API int vf_mysql_report(vf_mysql_t my, vf_report_t* report);
/* The MYSQL* (as void*), borrowed: NULL unless the outcome is VF_OUTCOME_OK. */
VF_API int vf_mysql_conn(vf_mysql_t my, void** mysql);
/* Transfers the MYSQL* to the caller, who must mysql_close it. */
VF_API int vf_mysql_release(vf_mysql_t my, void** mysql);
VF_API int vf_mysql_destroy(vf_mysql_t my);
/* Probe and verify only (or reuse a cached approval), for clients that configure
 * Connector/C themselves: *report receives the verdict; when it is VF_OUTCOME_OK, buf
 * receives the approved certificate's SHA-1 fingerprint (40 hex digits), else "". */
VF_API int vf_mysql_approve(vf_report_t* report, const char* url, vf_trust_t trust,
                            const vf_policy_options* options, char* buf, size_t* len);
/* For drivers configured only through an option file (mysqlclient): the path of a kept,
 * content-addressed Connector/C option file whose group [verifull] holds host, port, the CA, ssl-verify-server-cert, TLS 1.2+, strong ciphers, ssl-fp =
 * sha1_fingerprint (from vf_mysql_approve) and restricted-auth. Give the driver no host
 * or port of its own and unix_socket = vf_mysql_option_file_missing_socket(), so that an
 * unreadable file makes the connection fail instead of going plaintext. */
VF_API int vf_mysql_option_file(const char* url, vf_trust_t trust, const char* sha1_fingerprint, char* buf,
                                size_t* len);
/* The same with the connection settings of `options` (version 4): the client certificate
 * (ssl-cert, ssl-key; also from the URL) and allow_cleartext_password. A key passphrase
 * is refused (VF_ERROR_INPUT): the file is kept, so it would stay on disk. */
VF_API int vf_mysql_option_file_with_policy(const char* url, vf_trust_t trust, const char* sha1_fingerprint,
                                            const vf_policy_options* options, char* buf, size_t* len);
VF_API const char* vf_mysql_option_file_missing_socket(void);
/* Checks the client certificate of `options` (version 4) as every connect does, before
 * any traffic: VF_OK (also when none is given), or VF_ERROR_INPUT naming the setting and
 * the file, never its contents (both files readable, the key readable by its owner only,
 * the passphrase right, the key that of the certificate). For bindings whose drivers
 * load the certificate themselves (Python's ssl contexts). */
VF_API int vf_client_certificate_check(const vf_policy_options* options);
/* Forgets every cached approval (vf_mysql_connect and vf_mysql_approve probe again). */
VF_API int vf_mysql_cache_clear(void);

/* ---- least-privilege audit -------------------------------------------------------- */
/* What the connected credential may do, as one JSON object: user, verdict ("admin",
 * "broad" or "least_privilege"), message, admin_findings, broad_findings,
 * table_privileges, grants. pgconn is a PGconn*, mysql a MYSQL* (as void*). */
VF_API int vf_pg_audit(void* pgconn, char* buf, size_t* len);
VF_API int vf_mysql_audit(void* mysql, char* buf, size_t* len);
#define VF_KIND_POSTGRES 1
#define VF_KIND_MYSQL 2
/* SQL creating a dedicated read-only user with SELECT on exactly the comma-separated
 * tables (MySQL: database.table) and a generated password. user may be NULL. */
VF_API int vf_suggest_readonly_sql(int kind, const char* tables, const char* user, char* buf, size_t* len);

/* ---- URLs ---------------------------------------------------------------------------- */
/* The parts of a postgres:// or mysql:// URL as one JSON object: protocol, host, port,
 * user, password, database, params. VF_ERROR_INPUT (and a message that never repeats
 * the password) for a malformed URL. */
VF_API int vf_parse_url(const char* url, char* buf, size_t* len);

/* ---- for bindings that run their own TLS (Node.js) --------------------------------- */
/* Fills *options with the defaults of VF_POLICY_OPTIONS_INIT, for languages that cannot
 * expand the macro. vf_policy_options_init fills a version-3 struct (the layout it was
 * introduced with; version = 3), so a program built against that header is never
 * written past its struct. vf_policy_options_init_size fills the layout of the given
 * size, sizeof(vf_policy_options) of the header the caller was built with (version 3 or
 * 4), and sets that version; VF_ERROR_INPUT for any other size. */
VF_API int vf_policy_options_init(vf_policy_options* options);
VF_API int vf_policy_options_init_size(vf_policy_options* options, size_t size);
/* Verifies the chain a TLS handshake presented, given as DER certificates (leaf first,
 * then intermediates; a trailing anchor is allowed): exactly the check vf_verify_pem
 * makes. certs[i] points to lens[i] bytes. Returns VF_OK and a report for any verdict,
 * VF_ERROR_INPUT for an empty chain or bytes that are not one complete certificate. */
VF_API int vf_verify_der_chain(vf_report_t* report, const unsigned char* const* certs, const size_t* lens,
                               size_t count, vf_trust_t trust, const vf_policy_options* options);
/* The trust's anchors as PEM text, one block each (for a TLS stack's CA option). */
VF_API int vf_trust_anchors_pem(vf_trust_t trust, char* buf, size_t* len);
/* The TLS-strength rule (VF_OUTCOME_WEAK_TLS) on a session another TLS stack negotiated:
 * protocol as OpenSSL names it ("TLSv1.3", "TLSv1.2"), cipher as an OpenSSL or IANA suite
 * name. buf receives "" when the session is strong enough, else the reason as a
 * sentence. An unknown protocol or suite is weak. */
VF_API int vf_tls_weak_reason(const char* protocol, const char* cipher, char* buf, size_t* len);
/* The TLS 1.2 suites verifull allows, as an OpenSSL cipher list (TLS 1.3's are all
 * allowed), for a TLS stack's cipher option. */
VF_API int vf_tls_strong_ciphers(char* buf, size_t* len);
/* vf_check for a worker thread: it blocks like vf_check (options->timeout_ms) and is safe to run on any thread, several at once, with a shared trust.
 * On failure the message is also copied to error_buf (truncated to fit, always
 * NUL-terminated; *error_len receives the size needed), because vf_last_error_message
 * is per thread and the thread that started the call cannot see the worker's. An event
 * loop runs it on a thread pool (Node: koffi's async calls) and is never blocked. */
VF_API int vf_check_with_message(vf_report_t* report, const char* url, vf_trust_t trust,
                                 const vf_policy_options* options, char* error_buf, size_t* error_len);
/* The CLI's exit code for an outcome (VF_OUTCOME_*): 0 ok, 3 when the endpoint could not
 * be reached (name_not_resolved, connection_refused, timeout, network_error,
 * handshake_failed), 4 connection_failed, 1 any refusal of what it presented; -1 for a
 * value that is not an outcome. Bindings classify outcomes with it instead of keeping
 * their own list. */
VF_API int vf_outcome_exit_code(int outcome);
/* For drivers that connect with vf_mysql_option_file (pinned to an approved
 * certificate): *yes = 1 when Connector/C's error (mysql_errno, mysql_error) means the
 * server presented another certificate than the approved one (a rotation, or an
 * impostor), the one failure worth one re-approval (vf_mysql_cache_clear, approve, retry
 * once); 0 otherwise, including a revoked certificate. */
VF_API int vf_mysql_presented_another_certificate(unsigned int error_code, const char* error_message, int* yes);
/* The parameters of a mysql:// URL as the core reads them, for bindings whose drivers take
 * them (the same table vf_mysql_connect applies): a JSON array, in the URL's order, of
 * objects {given, name, role, value}. given is the name as written, name the canonical
 * one (lower case, '-' read as '_'); role is "driver" (a setting of Connector/C and the
 * drivers built on it: charset, init_command, sql_mode, autocommit, compress,
 * local_infile, the timeouts), "policy" (verifull's own: ssl_crl, ssl_crlpath, ssl_cert,
 * ssl_key, ssl_passphrase; vf_mysql_approve and vf_mysql_option_file take them from the
 * URL) or "python_driver" (use_unicode, binary_prefix: Python's drivers only, refused by
 * vf_mysql_connect); value is typed: a flag as true or false, seconds as a number, else
 * the text. VF_ERROR_INPUT names a refused parameter with the reason, a bad value, or a
 * client certificate that fails its checks, as vf_mysql_connect would. */
VF_API int vf_mysql_url_parameters(const char* url, char* buf, size_t* len);
/* Whether a driver keyword (or URL parameter) would replace what verifull sets: how the
 * connection is secured (ssl*, tls*), where it goes (host, port, socket, protocol, ...),
 * an option file, the authentication methods, or client_flag. buf receives "" when it
 * would not, else the reason as a phrase ("would change where the connection goes ..."),
 * for a binding to refuse it by name. */
VF_API int vf_mysql_keyword_refusal(const char* keyword, char* buf, size_t* len);
/* *yes = 1 when the authentication plugin `name` has the client send the password as it
 * is (mysql_clear_password, dialog), else 0. verifull never lets Connector/C use one
 * (restricted-auth), but for mysql_clear_password with allow_cleartext_password; a
 * binding whose driver runs the login itself refuses the same. */
VF_API int vf_mysql_auth_plugin_sends_password(const char* name, int* yes);
/* Those plugins as a comma-separated list, for a driver that registers a handler per
 * plugin name (Node's mysql2). */
VF_API int vf_mysql_clear_text_auth_plugins(char* buf, size_t* len);
/* The CRLs of a policy (version 4: crls, crl_pem) as one PEM file, for a TLS stack's own
 * CRL check (Python's ssl: load_verify_locations), so it checks the same CRLs verifull
 * does. buf receives the file's path, or "" when the policy names no CRL; VF_ERROR_INPUT
 * when a CRL cannot be read. options->host may be NULL. */
VF_API int vf_policy_crl_file(const vf_policy_options* options, char* buf, size_t* len);

#ifdef __cplusplus
}
#endif

#endif /* VERIFULL_H */
