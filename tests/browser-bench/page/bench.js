// The benchmark page: one measurement phase per page load, chosen by the fragment
// (#phase=ours|js&n=100000&seed=13). Results go to window.__bench, which the native runner
// (src/runner/run.rs) polls. Every time is performance.now() on this page's main thread. The
// real app is measured on its own page (dist/, files uploaded; src/runner/app.js).

import init, * as wasm from './pkg/browser_bench.js';
import { Baseline } from './baseline.js';

const params = new URLSearchParams(location.hash.slice(1));
const phase = params.get('phase');
const n = Number(params.get('n'));
const seed = Number(params.get('seed') ?? 13);
const rounds = Number(params.get('rounds') ?? 3);
window.__bench = { done: false, phase, n };

// Long tasks (> 50 ms) as the browser sees them, buffered from page start.
const longTasks = [];
new PerformanceObserver((list) => {
  for (const e of list.getEntries()) longTasks.push({ start: e.startTime, duration: e.duration });
}).observe({ type: 'longtask', buffered: true });

// A macrotask boundary without setTimeout's 4 ms clamping: input and rendering can run between.
function yieldToLoop() {
  return new Promise((resolve) => {
    const c = new MessageChannel();
    c.port1.onmessage = () => resolve();
    c.port2.postMessage(null);
  });
}
const frame = () => new Promise((resolve) => requestAnimationFrame(resolve));
const afterPaint = () => new Promise((resolve) => requestAnimationFrame(() => setTimeout(resolve, 0)));
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

function stats(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const at = (f) => (s.length ? s[Math.floor((s.length - 1) * f)] : null);
  return { p50: at(0.5), p95: at(0.95), max: at(1), count: s.length };
}

function jsHeap() {
  if (typeof window.gc === 'function') window.gc();
  return performance.memory ? performance.memory.usedJSHeapSize : null;
}

// Feeds every generated page to `consume`, page by page, yielding to the event loop between
// pages as the app does. Generating a page is its own task, outside the timed steps.
async function ingest(consume, finish) {
  const gen = new wasm.Generator(n, seed);
  const steps = [];
  let raw = 0;
  const started = performance.now();
  for (;;) {
    const bytes = gen.next_page();
    if (bytes === undefined) break;
    raw += bytes.length;
    await yieldToLoop();
    const s = performance.now();
    consume(bytes);
    steps.push([s, performance.now()]);
    await yieldToLoop();
  }
  gen.free();
  const s = performance.now();
  finish();
  steps.push([s, performance.now()]);
  const wall = performance.now() - started;
  await sleep(200); // let the long-task observer deliver
  const durations = steps.map(([a, b]) => b - a);
  // Long tasks that contain an ingest step (generation tasks are not ours to count).
  const ingestLong = longTasks.filter((t) => steps.some(([a]) => a >= t.start - 1 && a <= t.start + t.duration));
  return {
    pages: steps.length - 1,
    raw_bytes: raw,
    ingest_ms: durations.reduce((x, y) => x + y, 0),
    wall_ms: wall,
    max_step_ms: Math.max(...durations),
    finish_ms: durations[durations.length - 1],
    long_tasks: ingestLong.length,
    longest_task_ms: ingestLong.reduce((m, t) => Math.max(m, t.duration), 0),
  };
}

// Types every keystroke, `rounds` times; `reset` starts a typing session (ours: a fresh Search).
async function typing(reset, keystroke) {
  const keys = wasm.keystrokes();
  const times = [];
  let hits = [];
  for (let r = 0; r < rounds; r++) {
    reset();
    hits = [];
    for (const k of keys) {
      const s = performance.now();
      hits.push(keystroke(k));
      times.push(performance.now() - s);
      await yieldToLoop();
    }
  }
  return { keystroke: stats(times), hits, keys };
}

// Each filter change: the search that selects, then the facet recount of its result.
async function filterChanges(select, recount) {
  const searchTimes = [];
  const facetTimes = [];
  for (let r = 0; r < rounds; r++) {
    for (const f of wasm.filters()) {
      let s = performance.now();
      select(f);
      searchTimes.push(performance.now() - s);
      s = performance.now();
      recount();
      facetTimes.push(performance.now() - s);
      await yieldToLoop();
    }
  }
  return { filter_search: stats(searchTimes), facets: stats(facetTimes) };
}

async function ours() {
  const o = new wasm.Ours();
  const ing = await ingest((b) => o.ingest_page(b), () => o.finish());
  const now = Date.now();
  const memory = wasm.memory_bytes();
  const heap = o.heap_bytes();
  const typed = await typing(() => o.reset_search(), (k) => o.keystroke(k, now));
  const filters = await filterChanges((f) => { o.reset_search(); o.keystroke(f, now); }, () => o.facet_recount());
  return { ...ing, events: o.events(), wasm_memory_bytes: memory, store_heap_bytes: heap, ...typed, ...filters };
}

async function js() {
  const before = jsHeap();
  const b = new Baseline();
  const ing = await ingest((bytes) => b.ingestPage(bytes), () => b.finish());
  await sleep(100);
  const after = jsHeap();
  const typed = await typing(() => {}, (k) => b.search(k).length);
  let result = b.events;
  const filters = await filterChanges((f) => { result = b.search(f); }, () => b.facets(result));
  return {
    ...ing, events: b.events.length,
    js_heap_bytes: before === null || after === null ? null : after - before,
    ...typed, ...filters,
  };
}

async function main() {
  await init();
  await sleep(50);
  const run = { ours, js }[phase];
  if (!run || !(n > 0)) throw new Error(`unknown phase ${phase} or size ${n}`);
  return run();
}

main().then(
  (result) => { window.__bench = { done: true, phase, n, result }; },
  (e) => { window.__bench = { done: true, phase, n, error: String(e && e.stack ? e.stack : e) }; },
);
