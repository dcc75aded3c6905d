// kirim/sqlite: the payout driver's SQLite store for Node (needs the npm package `sql.js`).
import type { Observation, PayoutStore, StoredPayout } from './index.js';

/** Payouts, their snapshots and orders, and their history of observations, in one SQLite file;
 * every write is on disk when its promise resolves. */
export declare class SqliteStore implements PayoutStore {
  /** Opens (or creates) the database file at `path`. */
  static open(path: string): Promise<SqliteStore>;
  save(record: StoredPayout): Promise<void>;
  load(reference: string): Promise<StoredPayout | null>;
  find(key: { reference?: string | null; payoutId?: string | null }): Promise<string | null>;
  unfinished(): Promise<string[]>;
  observe(reference: string, observation: Observation): Promise<void>;
  history(reference: string): Promise<Observation[]>;
  close(): void;
}
