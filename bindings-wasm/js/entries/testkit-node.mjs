// `kirim/testkit` in Node and Bun (`import`): nothing to do. The CommonJS build the main entry
// uses loads the test kit's module on the first test-builder call; this entry exists so that a
// test importing `kirim/testkit` runs unchanged in every runtime.
export {};
