// Node and Bun, `import`: the CommonJS build, so that `import` and `require` in one process
// share one instance and one KirimError class.
import kirim from './index.cjs';

export const {
  __EXPORTS__
} = kirim;
