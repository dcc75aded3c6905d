// kirim/sqlite: the payout driver's SQLite store for Node (needs the npm package `sql.js`).
import type { AsyncPayoutStore } from './index.js';

/** `kirim`'s `StoreInUseError` (the same class): here, the file is held by another store, a
 * driver in another process (or another `SqliteStore` of this one). Run one driver process per
 * file; close a store before opening its file again. */
export { StoreInUseError } from './index.js';

/** Payouts, their snapshots and orders, and their history of observations, in one SQLite file;
 * every write is on disk when its promise resolves. A write that cannot reach the disk whole (a
 * full disk, a file size limit) rejects, and leaves the file and the store as they were. */
export declare class SqliteStore implements AsyncPayoutStore {
  /** Opens (or creates) the database file at `path` and holds it (`<path>.lock`) until
   * `close()`. Rejects with `StoreInUseError` while a store in a live process holds it; the hold
   * of a process that died is taken over. A write rejects with `StoreInUseError`, writing
   * nothing, if someone else changed the file since this store last wrote it. */
  static open(path: string): Promise<SqliteStore>;
  /** Closes the database and lets go of the file. */
  close(): void;
}
// Its store methods are AsyncPayoutStore's (a class declaration merged with this interface).
export interface SqliteStore extends AsyncPayoutStore {}
