// A process whose files can grow only so far (driver.test.mjs runs it under `ulimit -f`): it
// saves payouts to a SQLite store until a save rejects, then prints what it saw, as JSON.
// Arguments: file, number of payouts.
import { SqliteStore } from 'kirim/sqlite';

const [file, count] = process.argv.slice(2);
const store = await SqliteStore.open(file);
const saved = [];
let failure = null;
for (let i = 0; i < Number(count) && failure === null; i++) {
  const reference = `jsFull${i}`;
  try {
    // Snapshots of 6 KB: the file outgrows the limit within a few saves.
    await store.save({ reference, provider: 'pivot', references: [reference], order: { reference },
      snapshot: 'x'.repeat(6000), payout_id: null, finished: null, next_due: null });
    saved.push(reference);
  } catch (error) {
    failure = { reference, code: error.code ?? null, message: error.message,
      loaded: await store.load(reference), unfinished: await store.unfinished() };
  }
}
store.close();
console.log(JSON.stringify({ saved, failure }));
