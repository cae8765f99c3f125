#!/usr/bin/env node
// Verified connections from Node.js with the drivers you already use (pg, mysql2).
//
//   node node_connect.js CA.pem postgres://user:pw@db.example.com:5432/app mysql://user:pw@db.example.com:3306/app
//
// Install: npm install verifull pg mysql2 (verifull needs libverifull.so.1: the Debian
// package, `meson install`, or VERIFULL_LIBRARY=/path/to/libverifull.so.1).
'use strict';
const verifull = require('verifull');

async function main(caFile, postgresUrl, mysqlUrl) {
  const trust = verifull.Trust.fromFile(caFile); // strict: a bad CA file is an InputError

  // node-postgres: verifull checks the chain the server presents in this very handshake
  // (anchors, name, pins, TLS strength) before pg sends its startup packet.
  const pg = await verifull.pg.connect(postgresUrl, trust);
  const { rows } = await pg.query('SELECT current_user AS user');
  console.log('PostgreSQL: connected as', rows[0].user);
  await pg.end();

  // mysql2: the same check between TLS and the login; a server without TLS or asking for
  // the clear-text password plugin is refused before anything is sent.
  const my = await verifull.mysql2.promise.createConnection(mysqlUrl, trust);
  const [result] = await my.query('SELECT CURRENT_USER() AS user');
  console.log('MySQL: connected as', result[0].user);
  await my.end();
}

if (process.argv.length !== 5) {
  console.error('usage: node_connect.js CA.pem POSTGRES_URL MYSQL_URL');
  process.exit(2);
}
main(...process.argv.slice(2)).catch((e) => {
  if (e instanceof verifull.VerificationError) {
    console.error(`refused (${e.outcome}): ${e.message}`);
    process.exit(1);
  }
  console.error(e.message); // verifull's messages never hold the password
  process.exit(e instanceof verifull.InputError ? 2 : 3);
});
