// Runs every shared vector (tests/vectors, and every directory of the colon-separated
// KIRIM_VECTORS_DIR) through the BUILT package's runOperation, with the matching rules of
// tests/vectors/README.md, mirroring core/tests/vectors.rs line by line. Prints
// `vectors: N passed, N failed`; writes the number of vectors run to KIRIM_VECTORS_COUNT_FILE.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { KirimError, runOperation } from 'kirim';
import { equal, isObject, parse, stringify } from './json-exact.mjs';

const repo = process.env.KIRIM_REPO;
assert.ok(repo, 'KIRIM_REPO must name the repository root');

function vectorFiles(dir, out) {
  let entries;
  try {
    entries = readdirSync(dir).sort();
  } catch (error) {
    throw new Error(`cannot read vector directory ${dir}: ${error.message}`);
  }
  for (const name of entries) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) vectorFiles(path, out);
    else if (name.endsWith('.json') && name !== 'schema.json') out.push(path);
  }
}

/** `expected` matches `actual` as in the Rust runner: subset of object keys (an absent key is
 * null), arrays of equal length matched item by item, anything else equal. */
function matches(expected, actual, path) {
  if (isObject(expected) && isObject(actual)) {
    for (const [key, value] of Object.entries(expected)) {
      matches(value, Object.hasOwn(actual, key) ? actual[key] : null, `${path}.${key}`);
    }
    return;
  }
  if (Array.isArray(expected) && Array.isArray(actual)) {
    if (expected.length !== actual.length) {
      throw new Error(`${path}: expected ${expected.length} items, got ${actual.length}: ${stringify(actual)}`);
    }
    expected.forEach((item, i) => matches(item, actual[i], `${path}[${i}]`));
    return;
  }
  if (!equal(expected, actual)) {
    throw new Error(`${path}: expected ${stringify(expected)}, got ${stringify(actual)}`);
  }
}

function checkError(expected, error) {
  // The error's JSON form as the core renders it (KirimError.toJSON mirrors it key for key).
  const actual = parse(JSON.stringify(error));
  const rest = isObject(expected) ? { ...expected } : expected;
  if (isObject(rest) && Object.hasOwn(rest, 'violations')) {
    const fields = rest.violations;
    delete rest.violations;
    if (Array.isArray(fields)) {
      const want = [...new Set(fields.filter((f) => typeof f === 'string'))].sort();
      const got = [...new Set(error.violations.map((v) => v.field))].sort();
      if (JSON.stringify(want) !== JSON.stringify(got)) {
        throw new Error(`violations: expected ${JSON.stringify(want)}, got ${JSON.stringify(got)}`);
      }
    }
  }
  matches(rest, actual, 'error');
}

function runFile(path) {
  const file = parse(readFileSync(path, 'utf8'));
  const operation = file.operation;
  assert.equal(typeof operation, 'string', `${path}: no operation`);
  const defaults = isObject(file.defaults) ? file.defaults : {};
  assert.ok(Array.isArray(file.vectors), `${path}: no vectors`);
  const failures = [];
  for (const vector of file.vectors) {
    const name = typeof vector.name === 'string' ? vector.name : '?';
    const input = { ...defaults, ...(isObject(vector.input) ? vector.input : {}) };
    let result;
    try {
      result = { ok: parse(runOperation(operation, stringify(input))) };
    } catch (error) {
      if (!(error instanceof KirimError)) throw error;
      result = { error };
    }
    const hasExpected = Object.hasOwn(vector, 'expected');
    const hasError = Object.hasOwn(vector, 'error');
    try {
      if (hasExpected && !hasError && 'ok' in result) matches(vector.expected, result.ok, 'output');
      else if (!hasExpected && hasError && 'error' in result) checkError(vector.error, result.error);
      else if (hasExpected && !hasError) throw new Error(`expected success, got error ${JSON.stringify(result.error)}`);
      else if (!hasExpected && hasError) throw new Error(`expected an error, got ${stringify(result.ok)}`);
      else throw new Error('a vector needs exactly one of `expected` and `error`');
    } catch (why) {
      failures.push(`${path} :: ${name}: ${why.message}`);
    }
  }
  return { count: file.vectors.length, failures };
}

test('shared vectors through the built package', () => {
  const dirs = [join(repo, 'tests/vectors')];
  for (const extra of (process.env.KIRIM_VECTORS_DIR ?? '').split(':')) {
    if (extra !== '') dirs.push(extra);
  }
  const files = [];
  for (const dir of dirs) vectorFiles(dir, files);
  assert.ok(files.length > 0, 'no vector files found');
  let total = 0;
  const failures = [];
  for (const file of files) {
    const { count, failures: failed } = runFile(file);
    total += count;
    failures.push(...failed);
  }
  for (const failure of failures) console.error(`FAIL ${failure}`);
  console.log(`vectors: ${total - failures.length} passed, ${failures.length} failed`);
  if (process.env.KIRIM_VECTORS_COUNT_FILE) writeFileSync(process.env.KIRIM_VECTORS_COUNT_FILE, `${total}\n`);
  assert.equal(failures.length, 0, `${failures.length} of ${total} vectors failed`);
});
