// CommonJS consumers: `require('kirim')` resolves the `require` condition and index.d.cts.
import kirim = require('kirim');

export function code(error: unknown): kirim.ErrorCode | null {
  return error instanceof kirim.KirimError ? error.code : null;
}
export const pivot: kirim.Pivot = new kirim.Pivot({ base_url: 'https://x.example', merchant_id: 'm', merchant_secret: 's' });
export const minor: bigint = kirim.moneyMinorUnits(kirim.parseMoney('1'));
