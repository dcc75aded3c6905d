// kirim/sqlite: the payout driver's SQLite store for Node (needs the npm package `sql.js`).
import type { AsyncPayoutStore } from './index.js';

/** Payouts, their snapshots and orders, and their history of observations, in one SQLite file;
 * every write is on disk when its promise resolves. */
export declare class SqliteStore implements AsyncPayoutStore {
  /** Opens (or creates) the database file at `path`. */
  static open(path: string): Promise<SqliteStore>;
  close(): void;
}
// Its store methods are AsyncPayoutStore's (a class declaration merged with this interface).
export interface SqliteStore extends AsyncPayoutStore {}
