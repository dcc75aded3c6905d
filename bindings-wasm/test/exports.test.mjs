// Every export the declarations promise exists at run time, in every Node entry (import,
// require, the ES module build the edge entries share), and nothing undeclared is exported.
// The exports map resolves each runtime's condition to its entry; the declarations have no
// `any`; every exported type is used by types/every-type.ts (type-checked by script/test).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import * as esm from 'kirim';

const require = createRequire(import.meta.url);
const here = dirname(fileURLToPath(import.meta.url));
const entry = require.resolve('kirim');
const pkg = dirname(entry);
const dts = readFileSync(join(pkg, 'index.d.ts'), 'utf8');
const code = dts.replace(/\/\*[\s\S]*?\*\//g, '').replace(/\/\/.*$/gm, '');
const runtime = [...code.matchAll(/^export declare (class|function) (\w+)/gm)].map((m) => ({ kind: m[1], name: m[2] }));
const allNames = [...code.matchAll(/^export (?:declare )?(?:class|function|type|interface) (\w+)/gm)].map((m) => m[1]);

test('the declarations are complete and have no any', () => {
  assert.ok(runtime.length >= 15, `only ${runtime.length} runtime exports declared`);
  assert.deepEqual(code.match(/\bany\b/g), null, 'index.d.ts uses `any`');
  assert.equal(readFileSync(join(pkg, 'index.d.cts'), 'utf8'), dts);
  for (const name of allNames) {
    const used = new RegExp(`\\b${name}\\b`);
    assert.match(readFileSync(join(here, 'types/every-type.ts'), 'utf8'), used, `types/every-type.ts does not use ${name}`);
  }
});

test('every declared export exists at run time in every Node entry, and nothing more', async () => {
  const entries = {
    import: esm,
    require: require('kirim'),
    'api.mjs (shared by the workerd, deno and browser entries)': await import(pathToFileURL(join(pkg, 'api.mjs')).href),
  };
  const declared = runtime.map((r) => r.name).sort();
  for (const [how, module] of Object.entries(entries)) {
    assert.deepEqual(Object.keys(module).filter((k) => k !== 'default').sort(), declared, how);
    for (const { kind, name } of runtime) {
      assert.equal(typeof module[name], 'function', `${how}: ${name}`);
      if (kind === 'class') assert.equal(typeof module[name].prototype, 'object', `${how}: ${name} is a class`);
    }
  }
});

/** The file `specifier` resolves to in Node under the extra export `conditions`. */
function resolvedFile(specifier, conditions) {
  return execFileSync(process.execPath, [
    ...conditions.map((c) => `--conditions=${c}`), '--input-type=module', '-e',
    `console.log(new URL(import.meta.resolve('${specifier}')).pathname)`,
  ], { encoding: 'utf8', cwd: here }).trim();
}

test('the exports map sends each runtime to its entry', () => {
  const resolve = (conditions) => resolvedFile('kirim', conditions);
  assert.equal(resolve([]), join(pkg, 'node.mjs'));
  assert.equal(entry, join(pkg, 'index.cjs'));
  assert.equal(resolve(['workerd']), join(pkg, 'workerd.mjs'));
  assert.equal(resolve(['deno']), join(pkg, 'deno.mjs'));
  const manifest = JSON.parse(readFileSync(join(pkg, 'package.json'), 'utf8'));
  const root = manifest.exports['.'];
  assert.equal(root.browser.default, './browser.mjs');
  assert.equal(root.default.default, './browser.mjs');
  assert.equal(root.workerd.types, './index.d.ts');
  assert.equal(root.node.require.types, './index.d.cts');
  // Edge entries: the .wasm imported statically (workerd, Deno), no node: import, no fs.
  for (const file of ['workerd.mjs', 'deno.mjs', 'browser.mjs', 'api.mjs', 'wasm/kirim_wasm.js']) {
    const text = readFileSync(join(pkg, file), 'utf8');
    assert.doesNotMatch(text, /from ['"]node:|require\(|readFileSync/, file);
  }
  assert.match(readFileSync(join(pkg, 'workerd.mjs'), 'utf8'), /^import wasmModule from '\.\/wasm\/kirim_wasm_bg\.wasm';$/m);
});

test('kirim/testkit resolves per runtime as the main entry does, and only it names the test kit', () => {
  const resolve = (conditions) => resolvedFile('kirim/testkit', conditions);
  assert.equal(resolve([]), join(pkg, 'testkit-node.mjs'));
  assert.equal(require.resolve('kirim/testkit'), join(pkg, 'testkit.cjs'));
  assert.equal(resolve(['workerd']), join(pkg, 'testkit-workerd.mjs'));
  assert.equal(resolve(['deno']), join(pkg, 'testkit-deno.mjs'));
  const manifest = JSON.parse(readFileSync(join(pkg, 'package.json'), 'utf8'));
  assert.equal(manifest.exports['./testkit'].browser.default, './testkit-browser.mjs');
  assert.equal(manifest.exports['./testkit'].default.default, './testkit-browser.mjs');
  // The production entries never load the test kit's module; the testkit entries load only it.
  for (const file of ['workerd.mjs', 'deno.mjs', 'browser.mjs', 'api.mjs']) {
    assert.doesNotMatch(readFileSync(join(pkg, file), 'utf8'), /wasm\/testkit/, file);
  }
  for (const file of ['testkit-workerd.mjs', 'testkit-deno.mjs', 'testkit-browser.mjs']) {
    const text = readFileSync(join(pkg, file), 'utf8');
    assert.match(text, /'\.\/wasm\/testkit\/kirim_wasm\.js'/, file);
    assert.doesNotMatch(text, /'\.\/wasm\/kirim_wasm|from ['"]node:|require\(/, file);
  }
});
