// `kirim/testkit`: imported for its effect only (it loads the test-callback builders' module in
// Deno, Workers and browsers; in Node and Bun they load on their first call). Exports nothing.
export {};
