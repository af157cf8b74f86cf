// The raw baseline of the sync benchmarks (bench/sync.ts): a bare node:http server, run as a
// child process, that only stores what is posted to it. Each POST body is a push request
// ({ deviceId, centreId, counterCode, mutations }); the server parses the JSON and stores every
// mutation, then answers 200 with a small JSON. No validation, no sequence checks, no framework.
//
//   node bench/raw-store-server.mjs --data FILE   SQLite (WAL, synchronous=FULL), one transaction per batch
//   node bench/raw-store-server.mjs --memory      an in-memory array (for information)
//
// Listens on 127.0.0.1 (a free port) and prints `Raw: http://127.0.0.1:PORT` once listening.
import { createServer } from 'node:http';
import { parseArgs } from 'node:util';
import Database from 'better-sqlite3';

const { values } = parseArgs({ options: { data: { type: 'string' }, memory: { type: 'boolean', default: false } } });
if (!values.memory && !values.data) {
  console.error('give --data FILE or --memory');
  process.exit(2);
}

/** @type {(mutations: Array<{ seq: number; mutationId: string; kind: string; recordId: string; createdAt: string; payload: unknown }>, deviceId: string) => void} */
let store;
/** @type {import('better-sqlite3').Database | null} */
let db = null;
if (values.memory) {
  /** @type {unknown[][]} */
  const items = [];
  store = (mutations, deviceId) => {
    for (const m of mutations)
      items.push([deviceId, m.seq, m.mutationId, m.kind, m.recordId, JSON.stringify(m.payload), m.createdAt]);
  };
} else {
  db = new Database(values.data);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  db.exec(`CREATE TABLE IF NOT EXISTS item (
    device_id TEXT NOT NULL,
    seq INTEGER NOT NULL,
    mutation_id TEXT NOT NULL UNIQUE,
    kind TEXT NOT NULL,
    record_id TEXT NOT NULL,
    payload TEXT NOT NULL,
    created_at TEXT NOT NULL,
    received_at TEXT NOT NULL,
    PRIMARY KEY (device_id, seq)
  ) STRICT`);
  const insert = db.prepare(
    'INSERT INTO item (device_id, seq, mutation_id, kind, record_id, payload, created_at, received_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
  );
  store = db.transaction((mutations, deviceId) => {
    const at = new Date().toISOString();
    for (const m of mutations)
      insert.run(deviceId, m.seq, m.mutationId, m.kind, m.recordId, JSON.stringify(m.payload), m.createdAt, at);
  });
}

const server = createServer((req, res) => {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    let status = 200;
    let answer;
    try {
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      const mutations = Array.isArray(body.mutations) ? body.mutations : [];
      store(mutations, String(body.deviceId));
      answer = { stored: mutations.length, lastSeq: mutations.at(-1)?.seq ?? null };
    } catch (e) {
      status = 400;
      answer = { error: String(e) };
    }
    const text = JSON.stringify(answer);
    res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
    res.end(text);
  });
});

server.listen(0, '127.0.0.1', () => {
  const address = server.address();
  console.log(`Raw: http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`);
});

const stop = () => {
  server.close();
  server.closeAllConnections();
  db?.close();
  process.exit(0);
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
