// TypeScript declarations for verifull (CommonJS and ESM).
/// <reference types="node" />

export type Engine = 'openssl' | 'botan' | 'both';
export type Profile = 'standard' | 'strict';

/** What a connection or check must satisfy besides chain and name. */
export interface Policy {
  /** Only for verifyChain: the name that was dialled (connections take it from the URL). */
  host?: string;
  /** 'sha256/BASE64' SPKI pins; one must match a certificate of the chain. */
  pins?: string[] | string;
  engine?: Engine;
  profile?: Profile;
  /** Match the subject CN of a certificate without subjectAltName, as libpq does. */
  allowCnFallback?: boolean;
  /** Seconds (default 10): every call ends by then. */
  timeout?: number;
  /** Verify as of this Unix time (verifyChain). */
  at?: number;
}

export interface Certificate {
  subject: string;
  issuer: string;
  sans: string[];
  not_before: string;
  not_after: string;
  sha256: string;
  spki_sha256: string;
}

export class Report {
  readonly endpoint: string;
  readonly ok: boolean;
  /** Stable code: 'ok', 'name_mismatch', 'untrusted_issuer', 'pin_mismatch', 'weak_tls', 'tls_unavailable', ... */
  readonly outcome: string;
  readonly message: string;
  readonly tlsVersion: string | null;
  readonly cipher: string | null;
  readonly anchor: string | null;
  readonly chain: Certificate[];
  readonly engines: string[];
  readonly warnings: string[];
  raiseForOutcome(): this;
}

export class Trust {
  private constructor();
  static fromFile(path: string): Trust;
  static fromPem(pem: string | Uint8Array): Trust;
  static fromEnv(variable: string): Trust;
  readonly anchors: Array<{ subject: string; sha256: string; spki_sha256: string; not_before: string; not_after: string }>;
  /** The anchors as PEM text (Node's `ca` option). */
  readonly anchorsPem: string;
  /** A kept, content-addressed PEM file of the anchors. */
  readonly anchorsFile: string;
}

export class VerifullError extends Error {}
export class InputError extends VerifullError {}
export class VerificationError extends VerifullError {
  readonly outcome: string;
  readonly report: Report;
}
export class NetworkError extends VerificationError {}

/** Probes a postgres:// or mysql:// endpoint off the event loop; never sends a credential. */
export function check(url: string, trust: Trust, policy?: Omit<Policy, 'host' | 'at'>): Promise<Report>;
/** Verifies DER certificates (leaf first) for policy.host, as every connection does. */
export function verifyChain(derCertificates: Uint8Array[], trust: Trust, policy: Policy & { host: string }): Report;
export function parseUrl(url: string): {
  protocol: 'postgres' | 'mysql'; host: string; port: number; user: string; password: string; database: string;
  params: Record<string, string>;
};
/** Why a negotiated session is too weak (the core's rule), or null. */
export function weakTlsReason(protocol: string, cipher: string): string | null;
export const version: string;

type ConnectionPolicy = Omit<Policy, 'host' | 'at'>;

export namespace pg {
  function connect(url: string, trust: Trust, policy?: ConnectionPolicy, pgOptions?: object): Promise<import('pg').Client>;
  function Client(url: string, trust: Trust, policy?: ConnectionPolicy, pgOptions?: object): import('pg').Client;
  function Pool(url: string, trust: Trust, policy?: ConnectionPolicy, poolOptions?: object): import('pg').Pool;
  function driverModule(url: string, trust: Trust, policy?: ConnectionPolicy, pgOptions?: object): {
    module: typeof import('pg'); config: object;
  };
}

export namespace mysql2 {
  function createConnection(url: string, trust: Trust, policy?: ConnectionPolicy, mysqlOptions?: object): import('mysql2').Connection;
  function createPool(url: string, trust: Trust, policy?: ConnectionPolicy, mysqlOptions?: object): import('mysql2').Pool;
  function connect(url: string, trust: Trust, policy?: ConnectionPolicy, mysqlOptions?: object): Promise<import('mysql2/promise').Connection>;
  function driverModule(url: string, trust: Trust, policy?: ConnectionPolicy, mysqlOptions?: object): {
    module: typeof import('mysql2'); config: object;
  };
  namespace promise {
    function createConnection(url: string, trust: Trust, policy?: ConnectionPolicy, mysqlOptions?: object): Promise<import('mysql2/promise').Connection>;
    function createPool(url: string, trust: Trust, policy?: ConnectionPolicy, mysqlOptions?: object): import('mysql2/promise').Pool;
  }
}

/** A knex configuration whose connections verify in-band. */
export function knex(url: string, trust: Trust, policy?: ConnectionPolicy, knexOptions?: object): object;
/** Sequelize options whose connections verify in-band. */
export function sequelize(url: string, trust: Trust, policy?: ConnectionPolicy, sequelizeOptions?: object): object;

declare const verifull: {
  Trust: typeof Trust; Report: typeof Report; check: typeof check; verifyChain: typeof verifyChain;
  parseUrl: typeof parseUrl; weakTlsReason: typeof weakTlsReason; VerifullError: typeof VerifullError;
  InputError: typeof InputError; VerificationError: typeof VerificationError; NetworkError: typeof NetworkError;
  version: string; pg: typeof pg; mysql2: typeof mysql2; knex: typeof knex; sequelize: typeof sequelize;
};
export default verifull;
