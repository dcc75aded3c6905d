// kirim/sqlite: a SQLite store for the payout driver, in Node (`import { SqliteStore } from
// "kirim/sqlite"`). Needs the npm package `sql.js` (SQLite compiled to WebAssembly: it installs
// from npm alone, with no native build and no binary fetched from elsewhere, and runs on every
// Node version kirim supports; Node 20 has no `node:sqlite`). sql.js keeps the database in
// memory, so every write is written through to the file (a temporary file written whole, fsync,
// rename, fsync of the directory): when `save` resolves, the snapshot is on disk, and a restarted
// process finds it; when the file cannot be written (a full disk), `save` rejects, and the file
// and the store are as they were.
//
// Because each write replaces the whole file, a second store on the same file (another process,
// or a second `open` in this one) would silently undo the first one's writes: a payout's record,
// even the snapshot stored before its create was sent, could vanish. So a store holds the file
// while it is open (`<path>.lock`, naming its process), and each write first checks that the file
// is still the one this store last wrote.
import {
  closeSync, existsSync, fsyncSync, linkSync, openSync, readFileSync, renameSync, statSync, unlinkSync, writeSync,
} from 'node:fs';
import { dirname } from 'node:path';
import initSqlJs from 'sql.js';
// The package's own instance (the one `import 'kirim'` gives in Node): its KirimError class, and
// its StoreInUseError (the driver's too), exported here as well.
import { KirimError, StoreInUseError } from './node.mjs';

export { StoreInUseError };

const SCHEMA = `
CREATE TABLE IF NOT EXISTS payouts (
  reference TEXT PRIMARY KEY,
  provider TEXT NOT NULL,
  order_json TEXT NOT NULL,
  snapshot TEXT NOT NULL,
  payout_id TEXT,
  finished TEXT,
  next_due INTEGER
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
  #lock;
  /** The file as this store last wrote it (`ino`, `size`, `mtimeMs`): anything else on disk was
   * written by someone else. */
  #written = null;

  constructor(db, path, lock) {
    this.#db = db;
    this.#path = path;
    this.#lock = lock;
  }

  /** Opens (or creates) the database file at `path` and holds it until `close()`. Rejects with
   * `StoreInUseError` if a store in a live process holds it; a holder that died (killed, crashed)
   * leaves a stale hold, which is taken over. */
  static async open(path) {
    sqlJs ??= await initSqlJs();
    const lock = `${path}.lock`;
    hold(lock, path);
    try {
      const db = existsSync(path) ? new sqlJs.Database(readFileSync(path)) : new sqlJs.Database();
      db.run(SCHEMA);
      addColumnIfMissing(db, 'payouts', 'next_due', 'INTEGER');
      const store = new SqliteStore(db, path, lock);
      store.#persist();
      return store;
    } catch (error) {
      release(lock);
      throw error;
    }
  }

  async save(record) {
    this.#write(() => {
      this.#db.run(
        `INSERT INTO payouts (reference, provider, order_json, snapshot, payout_id, finished, next_due)
         VALUES (?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT(reference) DO UPDATE SET provider = excluded.provider, order_json = excluded.order_json,
           snapshot = excluded.snapshot, payout_id = excluded.payout_id, finished = excluded.finished,
           next_due = excluded.next_due`,
        [record.reference, record.provider, JSON.stringify(record.order), record.snapshot, record.payout_id,
          record.finished === null ? null : JSON.stringify(record.finished), record.next_due ?? null],
      );
      for (const reference of record.references) {
        this.#db.run('INSERT OR IGNORE INTO payout_references (reference, payout) VALUES (?, ?)', [reference, record.reference]);
      }
    });
  }

  /** Stores `record` only if no payout is stored under its reference and no other payout holds
   * any of `record.references`, in one transaction: `true` when stored, `false` (nothing
   * written) otherwise. A new payout is written with this, never with `save`, which replaces. */
  async insert(record) {
    return this.#write(() => {
      this.#db.run(
        `INSERT INTO payouts (reference, provider, order_json, snapshot, payout_id, finished, next_due)
         VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT(reference) DO NOTHING`,
        [record.reference, record.provider, JSON.stringify(record.order), record.snapshot, record.payout_id,
          record.finished === null ? null : JSON.stringify(record.finished), record.next_due ?? null],
      );
      if (this.#db.getRowsModified() !== 1) return false;
      for (const reference of record.references) {
        const holder = this.#one('SELECT payout FROM payout_references WHERE reference = ?', [reference]);
        if (holder !== null && holder.payout !== record.reference) return false;
        this.#db.run('INSERT OR IGNORE INTO payout_references (reference, payout) VALUES (?, ?)', [reference, record.reference]);
      }
      return true;
    });
  }

  async load(reference) {
    const row = this.#one('SELECT * FROM payouts WHERE reference = ?', [reference]);
    if (row === null) return null;
    const references = this.#all('SELECT reference FROM payout_references WHERE payout = ? ORDER BY rowid', [reference]);
    // A row is read as hostile input: a damaged or edited one is a KirimError naming the payout
    // and the column, never a SyntaxError (whose message quotes the text: account numbers).
    const text = (column) => {
      if (typeof row[column] !== 'string') throw damaged(reference, column, 'unexpected_shape', 'holds no text');
      return row[column];
    };
    const order = parsed(reference, 'order_json', text('order_json'));
    if (!isObject(order)) throw damaged(reference, 'order_json', 'unexpected_shape', 'holds no JSON object');
    const finished = row.finished === null ? null : parsed(reference, 'finished', text('finished'));
    if (finished !== null && !isFinalAction(finished)) {
      throw damaged(reference, 'finished', 'unexpected_shape', 'holds no final action (done or manual_reconciliation)');
    }
    if (row.payout_id !== null) text('payout_id');
    if (row.next_due !== null && !Number.isSafeInteger(row.next_due)) {
      throw damaged(reference, 'next_due', 'unexpected_shape', 'holds no integer of Unix seconds');
    }
    return {
      reference: row.reference,
      provider: text('provider'),
      references: references.map((r) => r.reference),
      order,
      snapshot: text('snapshot'),
      payout_id: row.payout_id,
      finished,
      next_due: row.next_due,
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

  /** Unfinished payouts: those due now first (no `next_due`), then by `next_due`, then by
   * reference. */
  async unfinished() {
    return this.#all('SELECT reference FROM payouts WHERE finished IS NULL ORDER BY next_due IS NOT NULL, next_due, reference', [])
      .map((r) => r.reference);
  }

  async observe(reference, observation) {
    this.#write(() => {
      this.#db.run('INSERT INTO observations (payout, observation) VALUES (?, ?)', [reference, JSON.stringify(observation)]);
    });
  }

  async history(reference) {
    return this.#all('SELECT observation FROM observations WHERE payout = ? ORDER BY id', [reference])
      .map((r) => {
        const observation = typeof r.observation === 'string' ? parsed(reference, 'observation', r.observation) : null;
        if (!isObject(observation)) throw damaged(reference, 'observation', 'unexpected_shape', 'holds no JSON object');
        return observation;
      });
  }

  /** Closes the database and lets go of the file. */
  close() {
    if (this.#lock === null) return;
    this.#db.close();
    release(this.#lock);
    this.#lock = null;
  }

  /** Runs `change` in a transaction, then writes the database through to its file; a `change`
   * returning false is rolled back, nothing written. Returns whether it was written. If the file
   * cannot be written, the change is undone in memory too (the database is read back from the
   * file, which is as it was): what `load` returns is what a restarted process would find. */
  #write(change) {
    if (this.#lock === null) throw new Error(`the store of ${this.#path} is closed`);
    this.#checkUnchanged();
    this.#db.run('BEGIN IMMEDIATE');
    try {
      if (change() === false) {
        this.#db.run('ROLLBACK');
        return false;
      }
      this.#db.run('COMMIT');
    } catch (error) {
      this.#db.run('ROLLBACK');
      throw error;
    }
    try {
      this.#persist();
    } catch (error) {
      this.#db.close();
      // If the file cannot be read either, the database stays closed: every later call fails.
      this.#db = new sqlJs.Database(readFileSync(this.#path));
      throw error;
    }
    return true;
  }

  /** Writes the whole database aside, then renames it over the file: a failure at any point
   * leaves the previous file whole. */
  #persist() {
    const temporary = `${this.#path}.tmp`;
    try {
      writeWhole(temporary, this.#db.export());
    } catch (error) {
      unlinkQuietly(temporary); // a partial copy (a full disk) only takes space
      throw error;
    }
    renameSync(temporary, this.#path);
    this.#written = identity(this.#path);
    // The rename is an entry in the directory: until the directory is on disk, a power loss can
    // bring back the previous file (and with it a payout's lost write-ahead snapshot).
    syncDirectory(dirname(this.#path));
  }

  /** Refuses to write over a file someone else wrote since this store's last write: their writes
   * would be lost (the hold makes that rare: a holder whose process id is not visible here, as in
   * another container, looks stale). */
  #checkUnchanged() {
    const now = identity(this.#path);
    const same = now !== null && now.ino === this.#written.ino && now.size === this.#written.size
      && now.mtimeMs === this.#written.mtimeMs;
    if (!same) {
      throw new StoreInUseError(`${this.#path} was changed by someone else since this store last wrote it; `
        + 'nothing was written. Run one driver process per file, then open the store again');
    }
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

/** The JSON text of column `column` of payout `reference`'s row, parsed. */
function parsed(reference, column, text) {
  try {
    return JSON.parse(text);
  } catch {
    throw damaged(reference, column, 'invalid_json', 'is not JSON');
  }
}

/** A damaged row: the payout and the column named, their content never shown (an order holds
 * account numbers). */
function damaged(reference, column, code, what) {
  return new KirimError({
    code,
    field: column,
    message: `the stored payout ${JSON.stringify(reference)}: its ${column} column ${what} (a damaged or edited row; `
      + 'its content is not shown). Restore the row from a backup, or reconcile the payout by hand; never pay it '
      + 'again under a new reference',
  });
}

function isObject(value) {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function isFinalAction(value) {
  return isObject(value) && (value.kind === 'done' || value.kind === 'manual_reconciliation');
}

function identity(path) {
  try {
    const { ino, size, mtimeMs } = statSync(path);
    return { ino, size, mtimeMs };
  } catch {
    return null;
  }
}

function addColumnIfMissing(db, table, column, type) {
  const columns = db.exec(`PRAGMA table_info(${table})`)[0]?.values.map((row) => row[1]) ?? [];
  if (!columns.includes(column)) db.run(`ALTER TABLE ${table} ADD COLUMN ${column} ${type}`);
}

/** Holds `lock` for this process: a file naming its process id, created whole (written aside,
 * then linked into place, which fails if it exists), so a reader never sees it half-written. */
function hold(lock, path) {
  const mine = `${lock}.${process.pid}`;
  writeWhole(mine, String(process.pid));
  try {
    for (let attempt = 0; attempt < 3; attempt++) {
      try {
        linkSync(mine, lock);
        return;
      } catch (error) {
        if (error.code !== 'EEXIST') throw error;
      }
      const holder = holderOf(lock);
      if (holder === null) continue; // let go of meanwhile
      if (holder === UNREADABLE) {
        throw new StoreInUseError(`${lock} names no process, so kirim cannot tell whether ${path} is in use; `
          + 'if no driver uses it, delete the lock file');
      }
      if (isAlive(holder)) {
        throw new StoreInUseError(`${path} is in use by a payout driver in process ${holder}`
          + `${holder === process.pid ? ' (this one: close its other SqliteStore first)' : ''}; `
          + `run one driver process per file. If no such driver runs, delete ${lock}`);
      }
      takeOverStale(lock, holder);
    }
    throw new StoreInUseError(`${path}: could not hold ${lock}; other processes keep taking it`);
  } finally {
    unlinkQuietly(mine);
  }
}

/** Moves aside the hold of the dead process `holder`: renamed first, so that only one taker
 * removes it, and put back if what was moved is a live process's fresh hold instead. */
function takeOverStale(lock, holder) {
  const aside = `${lock}.stale.${process.pid}`;
  try {
    renameSync(lock, aside);
  } catch (error) {
    if (error.code === 'ENOENT') return; // another taker moved it first
    throw error;
  }
  if (holderOf(aside) !== holder) {
    try {
      linkSync(aside, lock);
    } catch (error) {
      if (error.code !== 'EEXIST') throw error;
    }
  }
  unlinkQuietly(aside);
}

function release(lock) {
  if (holderOf(lock) === process.pid) unlinkQuietly(lock);
}

const UNREADABLE = -1;

/** The process id a hold names, `UNREADABLE`, or null if there is no hold. */
function holderOf(lock) {
  try {
    const text = readFileSync(lock, 'utf8').trim();
    return /^[0-9]+$/.test(text) ? Number(text) : UNREADABLE;
  } catch (error) {
    if (error.code === 'ENOENT') return null;
    throw error;
  }
}

/** Whether process `pid` exists (one of another user counts). */
function isAlive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return error.code !== 'ESRCH';
  }
}

/** Writes `data` (text or bytes) to `file`, on disk when it returns; throws if any byte could
 * not be written. */
function writeWhole(file, data) {
  const bytes = typeof data === 'string' ? Buffer.from(data) : data;
  const fd = openSync(file, 'w');
  try {
    // A write may take fewer bytes than given (a full disk, a file size limit) and say so only
    // by its count: the next one then fails with the reason (ENOSPC, EFBIG).
    for (let offset = 0; offset < bytes.length;) {
      offset += writeSync(fd, bytes, offset, bytes.length - offset);
    }
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** Puts the entries of directory `dir` (a rename into it) on disk, where the platform can: not
 * on Windows, where Node cannot open a directory (EISDIR), nor on a file system that cannot sync
 * one (EINVAL, ENOTSUP); any other failure (EIO) throws. */
function syncDirectory(dir) {
  if (process.platform === 'win32') return;
  const fd = openSync(dir, 'r');
  try {
    fsyncSync(fd);
  } catch (error) {
    if (error.code !== 'EINVAL' && error.code !== 'ENOTSUP') throw error;
  } finally {
    closeSync(fd);
  }
}

function unlinkQuietly(file) {
  try {
    unlinkSync(file);
  } catch (error) {
    if (error.code !== 'ENOENT') throw error;
  }
}
