// Where a page's ingest goes in WASM under V8: `node profile-wasm.mjs pkg-dir method [events]`,
// `method` one of the module's `Pages` methods (`ingest` for Store::ingest_bytes, `ingest_owned`
// for parse_response + Store::ingest_page). The module must keep its names (`wasm-opt -g`).
// Samples V8's CPU profiler over one run (after a warm-up run) and sums self time by what the
// function does: parse (reading JSON: the fused reader or serde_json and the visitors), intern
// (the string table and its hash tables), merge (the page's rows into the event table), memory
// (allocator, copies, zeroing), compare (memcmp), index (the rest of the store: contexts, rows,
// fingerprints, pools), other (unnamed glue).
import { readFile } from 'node:fs/promises';
import inspector from 'node:inspector/promises';
import path from 'node:path';

const [dir, method, n] = [path.resolve(process.argv[2]), process.argv[3], Number(process.argv[4] ?? 100000)];
const base = (await import('node:fs')).readdirSync(dir).find((f) => f.endsWith('_bg.wasm')).replace('_bg.wasm', '');
const js = await import(path.join(dir, `${base}.js`));
await js.default({ module_or_path: await readFile(path.join(dir, `${base}_bg.wasm`)) });
const pages = new js.Pages(n);
pages[method]();
const session = new inspector.Session();
session.connect();
await session.post('Profiler.enable');
await session.post('Profiler.setSamplingInterval', { interval: 100 });
await session.post('Profiler.start');
const t = performance.now();
pages[method]();
const wall = performance.now() - t;
const { profile } = await session.post('Profiler.stop');

const category = (name) => {
  if (/rows.*merge|Rows.*merge/.test(name)) return 'merge';
  if (/strings::Strings::|strings::hash|table::|IdTable/.test(name)) return 'intern';
  // Byte compares: interning's (a string against the one its hash found) and the readers' keys.
  if (/^memcmp$|^bcmp$/.test(name)) return 'compare';
  if (/reader::Reader|reader::read_page|skip_string|skip_container|find_special|serde_json|serde::|serde_core|audit_core::parse::|audit_core::json|audit_core::audit::|status_log|from_utf8|parse_time|audit_core::time/.test(name)) return 'parse';
  if (/dlmalloc|malloc|free|realloc|memcpy|memmove|memset|alloc::|__rust_alloc|__rdl|RawVec|drop_in_place/.test(name)) return 'memory';
  if (/^\(|^$|^wasm-function|^dispatch$/.test(name)) return 'other';
  return 'index';
};
const dt = new Map();
profile.nodes.forEach((node) => dt.set(node.id, 0));
for (let i = 0; i < profile.samples.length; i++) dt.set(profile.samples[i], dt.get(profile.samples[i]) + profile.timeDeltas[i]);
const byCat = new Map();
const byName = new Map();
for (const node of profile.nodes) {
  const us = dt.get(node.id);
  if (!us) continue;
  const name = node.callFrame.functionName;
  byCat.set(category(name), (byCat.get(category(name)) ?? 0) + us);
  byName.set(name, (byName.get(name) ?? 0) + us);
}
const total = [...byCat.values()].reduce((a, b) => a + b, 0);
console.log(`${method} of ${n} events (${pages.bytes()} bytes): ${wall.toFixed(0)} ms wall, ${(total / 1e3).toFixed(0)} ms sampled`);
for (const [c, us] of [...byCat].sort((a, b) => b[1] - a[1])) console.log(`  ${c.padEnd(8)} ${(100 * us / total).toFixed(1).padStart(5)} %`);
console.log('  top functions:');
for (const [f, us] of [...byName].sort((a, b) => b[1] - a[1]).slice(0, 12)) console.log(`    ${(100 * us / total).toFixed(1).padStart(5)} %  ${category(f).padEnd(7)} ${f.slice(0, 110)}`);
