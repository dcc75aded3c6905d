// A process that pays through the driver with the SQLite store and dies (SIGKILL, no cleanup)
// the moment its create has been sent and answered, before the answer reaches the machine:
// driver.test.mjs then resumes the payout from the file. Arguments: simulator URL, file, reference.
import { PayoutDriver, Pivot } from 'kirim';
import { SqliteStore } from 'kirim/sqlite';

const [base, file, reference] = process.argv.slice(2);
const store = await SqliteStore.open(file);
const pivot = new Pivot({ base_url: base, merchant_id: 'kirim-merchant', merchant_secret: 'kirim-secret',
  callback_api_keys: ['kirim-callback-key'] });
const fetchThenDie = async (url, init) => {
  const response = await fetch(url, init);
  if (init.method === 'POST' && new URL(url).pathname === '/v1/payouts') {
    await response.arrayBuffer(); // Pivot has processed it; the answer dies with the process
    process.kill(process.pid, 'SIGKILL');
  }
  return response;
};
const driver = new PayoutDriver(pivot, store, { fetch: fetchThenDie, timeoutMs: 5000 });
await driver.pay({ reference, amount: { value: '100000', currency: 'IDR' },
  beneficiary: { bank: 'BCA', account_number: '999966660001', account_name: 'Reforza Pivot' } });
console.error('driver-child: the payout ended without the kill');
process.exit(3);
