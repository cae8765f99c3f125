'use strict';
/**
 * verifull: database connections that open only after the server proved who it is.
 *
 *   const verifull = require('verifull');
 *   const trust = verifull.Trust.fromFile('aptible-ca.pem');
 *   const report = await verifull.check('postgres://db.example.com:5432', trust);   // never sends credentials
 *   const pg = await verifull.pg.connect(url, trust);              // node-postgres, checked in-band
 *   const my = await verifull.mysql2.promise.createConnection(url, trust);          // mysql2, checked in-band
 *
 * Refusals are VerificationError (.outcome, .report), unreachable endpoints NetworkError,
 * bad input InputError; no message ever holds a password.
 */
const core = require('./core');

module.exports = {
  Trust: core.Trust,
  Report: core.Report,
  check: core.check,
  verifyChain: core.verifyChain,
  parseUrl: core.parseUrl,
  weakTlsReason: core.weakTlsReason,
  VerifullError: core.VerifullError,
  InputError: core.InputError,
  VerificationError: core.VerificationError,
  NetworkError: core.NetworkError,
  version: core.version,
};
// Driver helpers load on first use, so require('verifull') needs neither driver.
for (const name of ['pg', 'mysql2']) {
  Object.defineProperty(module.exports, name, { enumerable: true, get: () => require(`./${name}`) });
}
for (const name of ['knex', 'sequelize']) {
  Object.defineProperty(module.exports, name, { enumerable: true, get: () => require('./orm')[name] });
}
