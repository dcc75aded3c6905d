// `kirim/testkit` in Node and Bun (`require`): nothing to do. The CommonJS build loads the test
// kit's module on the first test-builder call; this entry exists so that a test requiring
// `kirim/testkit` runs unchanged in every runtime.
'use strict';
