// workerd: `workerd test` calls the test handler; a thrown error fails the run.
import * as kirim from 'kirim';
import { smoke, report } from './smoke.mjs';

export default {
  async test() {
    if (!report('workerd', await smoke(kirim))) throw new Error('the workerd smoke test failed');
  },
};
