// Shared by the Node tests: the package, its drivers, the servers' environment.
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
// Drivers resolve from the package (its devDependencies), as an app's would from the app.
export const requireFromPackage = createRequire(path.join(repo, 'bindings', 'node', 'package.json'));
export const verifull = requireFromPackage('./lib/index.js');

const env = process.env;
export const servers = Boolean(env.VERIFULL_PG_PORT && env.VERIFULL_MYSQL_PORT);
export const password = env.VERIFULL_DB_PASSWORD || 'not-used';
export function url(kind, port, host = 'localhost', pw = password) {
  const scheme = kind === 'pg' ? 'postgres' : 'mysql';
  return `${scheme}://${env.VERIFULL_DB_USER || 'app'}:${pw}@${host}:${port}/${env.VERIFULL_DB_NAME || 'app'}`;
}
export function trust(file = 'ca.pem') {
  return verifull.Trust.fromFile(`${env.VERIFULL_PKI_DIR}/${file}`);
}
