// kirim/sqlite: a SQLite store for the payout driver, in Node (`import { SqliteStore } from
// "kirim/sqlite"`). Needs the npm package `sql.js` (SQLite compiled to WebAssembly: it installs
// from npm alone, with no native build and no binary fetched from elsewhere, and runs on every
// Node version kirim supports; Node 20 has no `node:sqlite`). sql.js keeps the database in
// memory, so every write is written through to the file (a temporary file, fsync, rename):
// when `save` returns, the snapshot is on disk, and a restarted process finds it.
import { closeSync, existsSync, fsyncSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs';
import initSqlJs from 'sql.js';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS payouts (
  reference TEXT PRIMARY KEY,
  provider TEXT NOT NULL,
  order_json TEXT NOT NULL,
  snapshot TEXT NOT NULL,
  payout_id TEXT,
  finished TEXT
);
CREATE TABLE IF NOT EXISTS payout_references (
  reference TEXT PRIMARY KEY,
  payout TEXT NOT NULL REFERENCES payouts(reference)
);
CREATE TABLE IF NOT EXISTS observations (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  payout TEXT NOT NULL REFERENCES payouts(reference),
  observation TEXT NOT NULL
);
`;

let sqlJs;

/** Payouts, their snapshots and orders, and their history of observations, in one SQLite file. */
export class SqliteStore {
  #db;
  #path;

  constructor(db, path) {
    this.#db = db;
    this.#path = path;
  }

  /** Opens (or creates) the database file at `path`. */
  static async open(path) {
    sqlJs ??= await initSqlJs();
    const db = existsSync(path) ? new sqlJs.Database(readFileSync(path)) : new sqlJs.Database();
    db.run(SCHEMA);
    const store = new SqliteStore(db, path);
    store.#persist();
    return store;
  }

  async save(record) {
    this.#write(() => {
      this.#db.run(
        `INSERT INTO payouts (reference, provider, order_json, snapshot, payout_id, finished)
         VALUES (?, ?, ?, ?, ?, ?)
         ON CONFLICT(reference) DO UPDATE SET provider = excluded.provider, order_json = excluded.order_json,
           snapshot = excluded.snapshot, payout_id = excluded.payout_id, finished = excluded.finished`,
        [record.reference, record.provider, JSON.stringify(record.order), record.snapshot, record.payout_id,
          record.finished === null ? null : JSON.stringify(record.finished)],
      );
      for (const reference of record.references) {
        this.#db.run('INSERT OR IGNORE INTO payout_references (reference, payout) VALUES (?, ?)', [reference, record.reference]);
      }
    });
  }

  async load(reference) {
    const row = this.#one('SELECT * FROM payouts WHERE reference = ?', [reference]);
    if (row === null) return null;
    const references = this.#all('SELECT reference FROM payout_references WHERE payout = ? ORDER BY rowid', [reference]);
    return {
      reference: row.reference,
      provider: row.provider,
      references: references.map((r) => r.reference),
      order: JSON.parse(row.order_json),
      snapshot: row.snapshot,
      payout_id: row.payout_id,
      finished: row.finished === null ? null : JSON.parse(row.finished),
    };
  }

  async find({ reference, payoutId }) {
    if (reference != null) {
      const row = this.#one('SELECT payout FROM payout_references WHERE reference = ?', [reference]);
      if (row !== null) return row.payout;
    }
    if (payoutId != null) {
      const row = this.#one('SELECT reference FROM payouts WHERE payout_id = ?', [payoutId]);
      if (row !== null) return row.reference;
    }
    return null;
  }

  async unfinished() {
    return this.#all('SELECT reference FROM payouts WHERE finished IS NULL ORDER BY rowid', []).map((r) => r.reference);
  }

  async observe(reference, observation) {
    this.#write(() => {
      this.#db.run('INSERT INTO observations (payout, observation) VALUES (?, ?)', [reference, JSON.stringify(observation)]);
    });
  }

  async history(reference) {
    return this.#all('SELECT observation FROM observations WHERE payout = ? ORDER BY id', [reference])
      .map((r) => JSON.parse(r.observation));
  }

  close() {
    this.#db.close();
  }

  /** Runs `change` in a transaction, then writes the database through to its file. */
  #write(change) {
    this.#db.run('BEGIN');
    try {
      change();
      this.#db.run('COMMIT');
    } catch (error) {
      this.#db.run('ROLLBACK');
      throw error;
    }
    this.#persist();
  }

  #persist() {
    const bytes = this.#db.export();
    const temporary = `${this.#path}.tmp`;
    const fd = openSync(temporary, 'w');
    try {
      writeSync(fd, bytes);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(temporary, this.#path);
  }

  #one(sql, params) {
    const rows = this.#all(sql, params);
    return rows.length === 0 ? null : rows[0];
  }

  #all(sql, params) {
    const statement = this.#db.prepare(sql);
    try {
      statement.bind(params);
      const rows = [];
      while (statement.step()) rows.push(statement.getAsObject());
      return rows;
    } finally {
      statement.free();
    }
  }
}
