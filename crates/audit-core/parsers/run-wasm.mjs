// V8 (node) timing of the candidates in WASM: `node run-wasm.mjs pkg-dir [events]`, the module
// built by README.md's commands. Best of 7 runs of each over the pages, in CPU time.
import { readFile } from 'node:fs/promises';
import path from 'node:path';

const dir = path.resolve(process.argv[2]);
const events = Number(process.argv[3] ?? 100000);
const js = await import(path.join(dir, 'audit_core_parsers.js'));
await js.default({ module_or_path: await readFile(path.join(dir, 'audit_core_parsers_bg.wasm')) });
const pages = new js.Pages(events);
const bytes = pages.bytes();
// The best of 7 runs in this process's CPU time (user + system; other processes on a shared
// machine do not inflate it as they do wall time).
const best = (f) => {
  let min = Infinity;
  for (let k = 0; k < 7; k++) {
    const t = process.cpuUsage();
    f();
    const d = process.cpuUsage(t);
    min = Math.min(min, (d.user + d.system) / 1000);
  }
  return min;
};
console.log(`${events} events, ${bytes} bytes, ${dir}`);
const line = (name, ms) => console.log(`${name.padEnd(24)} ${(bytes / ms / 1e3).toFixed(1).padStart(8)} MB/s  ${ms.toFixed(1).padStart(7)} ms`);
js.names().forEach((name, i) => line(name, best(() => pages.run(i))));
line('owned ingest', best(() => pages.ingest_owned()));
line('fused ingest', best(() => pages.ingest()));
