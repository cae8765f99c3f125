// ESM entry: the same objects as the CommonJS one.
import { createRequire } from 'node:module';

const verifull = createRequire(import.meta.url)('./index.js');

export const {
  Trust, Report, check, verifyChain, parseUrl, weakTlsReason, VerifullError, InputError, VerificationError, NetworkError,
  version,
} = verifull;
export const pg = verifull.pg;
export const mysql2 = verifull.mysql2;
export const knex = verifull.knex;
export const sequelize = verifull.sequelize;
export default verifull;
