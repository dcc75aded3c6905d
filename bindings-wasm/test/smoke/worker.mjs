// workerd: `workerd test` calls the test handler; a thrown error fails the run.
import * as kirim from 'kirim';
import { smoke, report } from './smoke.mjs';

export default {
  async test() {
    // `kirim/testkit` as script/test's workerd.capnp names it (workerd resolves no package).
    const testkit = { onRequest: true, load: () => import('kirim-testkit') };
    if (!report('workerd', await smoke(kirim, testkit))) throw new Error('the workerd smoke test failed');
  },
};
