// Injected into the real app's page (the release dist/, demo mode) with WebDriver's
// execute_script, before the runner uploads the generated trail through the file input
// ([data-testid=open-files]). It watches the upload from the `change` event on: long tasks,
// first rows painted, the whole load, scrolling and typing while it runs, fresh queries and
// keystrokes once it is done, memory of both threads, and TextDecoder + JSON.parse of the same
// files in this page. Results go to window.__app ({ done, result | error }), which the runner
// polls. Every time is performance.now() on the page's main thread.
//
// arguments[0]: { files: "N files" label the app shows, records, filters, keystrokes, rounds }.
(() => {
  const cfg = arguments[0];
  const state = { done: false };
  window.__app = state;

  const q = (css) => document.querySelector(css);
  const all = (css) => document.querySelectorAll(css);
  const text = (css) => (q(css) || {}).textContent || '';
  const frame = () => new Promise((resolve) => requestAnimationFrame(resolve));
  const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
  // A setTimeout queued from a frame's rAF callback runs after that frame has painted. Resolves
  // with the time of that rAF callback: what was in the DOM by then is in the frame.
  const afterPaint = () => new Promise((resolve) => requestAnimationFrame(() => {
    const frameAt = performance.now();
    setTimeout(() => resolve(frameAt), 0);
  }));
  const stats = (xs) => {
    const s = [...xs].sort((a, b) => a - b);
    const at = (f) => (s.length ? s[Math.floor((s.length - 1) * f)] : null);
    return { p50: at(0.5), p95: at(0.95), max: at(1), count: s.length };
  };

  // Long tasks (> 50 ms) of this page's main thread, from navigation on.
  const longTasks = [];
  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) longTasks.push({ start: e.startTime, duration: e.duration });
  }).observe({ type: 'longtask', buffered: true });
  const tasksIn = (from, to) => {
    const hit = longTasks.filter((t) => t.start + t.duration >= from && t.start <= to);
    return { count: hit.length, longest_ms: hit.reduce((m, t) => Math.max(m, t.duration), 0) };
  };

  // Long animation frames (> 50 ms) of this page, with what took the time: scripts by who called
  // them (an event handler, a worker's message, a timer) and the forced layouts inside them, and
  // the frame's own style, layout and paint. Summarised per scroll phase (`frames_over_50`).
  const loafs = [];
  try {
    new PerformanceObserver((list) => { for (const e of list.getEntries()) loafs.push(e); })
      .observe({ type: 'long-animation-frame', buffered: true });
  } catch (_) { /* no LoAF in this browser: the summary stays empty */ }
  const framesIn = (from, to) => {
    const hit = loafs.filter((f) => f.startTime + f.duration >= from && f.startTime <= to);
    const by = {};
    let forced = 0, scripts = 0, render = 0, layout = 0;
    for (const f of hit) {
      const end = f.startTime + f.duration;
      if (f.renderStart) render += end - f.renderStart;
      if (f.styleAndLayoutStart) layout += end - f.styleAndLayoutStart;
      for (const s of f.scripts || []) {
        const who = `${s.invokerType} ${s.invoker}`;
        by[who] = (by[who] || 0) + s.duration;
        scripts += s.duration;
        forced += s.forcedStyleAndLayoutDuration || 0;
      }
    }
    const round = (x) => Math.round(x * 10) / 10;
    return {
      count: hit.length,
      total_ms: round(hit.reduce((t, f) => t + f.duration, 0)),
      scripts_ms: round(scripts),
      forced_layout_ms: round(forced),
      render_ms: round(render),
      style_layout_ms: round(layout),
      scripts_by_invoker_ms: Object.fromEntries(Object.entries(by).map(([k, v]) => [k, round(v)]).sort((a, b) => b[1] - a[1])),
    };
  };

  // The page's messages with its engine worker: when each command was posted and each answer
  // handled (the app's `onmessage` from its start to the end of the microtasks it queued), so a
  // query's time can be split into the
  // page before it asks, the worker until its first answer, the page handling answers, and
  // waiting for the frame that paints them.
  const link = { sent: [], heard: [] };
  const post = Worker.prototype.postMessage;
  Worker.prototype.postMessage = function (...args) {
    if (!this.__timed && typeof this.onmessage === 'function') {
      const handle = this.onmessage;
      this.onmessage = (e) => {
        const start = performance.now();
        // The handler's own microtasks (the app's render effects) run before this one.
        try { handle.call(this, e); } finally { queueMicrotask(() => link.heard.push({ start, end: performance.now() })); }
      };
      this.__timed = true;
    }
    link.sent.push(performance.now());
    return post.apply(this, args);
  };
  const split = (s, seen) => {
    const sent = link.sent.find((t) => t >= s);
    if (sent === undefined || seen === null) return null;
    const answer = link.heard.find((h) => h.start >= sent);
    const handled = link.heard.filter((h) => h.start >= s && h.start <= seen);
    return {
      ask: sent - s,
      worker: answer === undefined ? null : answer.start - sent,
      last: handled.length ? handled[handled.length - 1].start - sent : null,
      handle: handled.reduce((t, h) => t + h.end - h.start, 0),
      messages: handled.length,
    };
  };
  const splitStats = (xs) => {
    const ok = xs.filter((x) => x && x.worker !== null);
    const of = (k) => stats(ok.map((x) => x[k])).p50;
    return { p50_ask_ms: of('ask'), p50_worker_ms: of('worker'), p50_last_answer_ms: of('last'), p50_handle_ms: of('handle'), p50_messages: of('messages'), count: ok.length };
  };

  // The DOM as the tests read it.
  const rowsSig = () => Array.from(all('[data-testid=event-row]'), (r) => `${r.style.top}|${r.dataset.requestId}|${r.dataset.eventType}|${r.dataset.field}`).join(';');
  const rowCount = () => all('[data-testid=event-row]').length;
  const loading = () => q('[data-testid=load-progress]') !== null;
  const countLine = () => text('[data-testid=match-count]');
  // "N of M events" (final) or "N… of M events (searching)".
  const counts = () => {
    const m = countLine().match(/([\d,]+)(…?) of ([\d,]+) events/);
    if (!m) return null;
    const n = (s) => Number(s.replace(/,/g, ''));
    return { count: n(m[1]), total: n(m[3]), searching: m[2] === '…' || countLine().includes('searching') };
  };
  const ours = () => text('[data-testid=loaded-count]').includes(cfg.files);
  let maxRows = 0;
  new MutationObserver(() => { maxRows = Math.max(maxRows, rowCount()); })
    .observe(document.body, { subtree: true, childList: true });

  // Resolves with performance.now() of the first DOM state (seen at a mutation or a frame)
  // for which `ok()` holds; null after `limit` ms.
  const when = (ok, limit) => new Promise((resolve) => {
    if (ok()) { resolve(performance.now()); return; }
    let over = false;
    const finish = (v) => { if (!over) { over = true; mo.disconnect(); clearTimeout(timer); resolve(v); } };
    const mo = new MutationObserver(() => { if (ok()) finish(performance.now()); });
    mo.observe(document.body, { subtree: true, childList: true, characterData: true, attributes: true });
    const poll = () => { if (over) return; if (ok()) finish(performance.now()); else requestAnimationFrame(poll); };
    requestAnimationFrame(poll);
    const timer = setTimeout(() => finish(null), limit);
  });

  // Types `value` into the search box at the start of a frame (value + `input`, as the browser
  // delivers a keystroke); resolves with the input time, once it was handled.
  const input = () => q('[data-testid=search-input]');
  const type = (value) => new Promise((resolve) => requestAnimationFrame(() => {
    const s = performance.now();
    const el = input();
    el.value = value;
    el.dispatchEvent(new Event('input', { bubbles: true }));
    resolve(s);
  }));

  // One query: input → first DOM change it causes (`changed`), and → the frame painted that shows
  // its final count (`done`). `check` (optional) must also hold for the rows, so an update the
  // load makes meanwhile is not taken for the answer. Unchanged within `limit`: null times.
  async function query(value, limit, check, fullLimit = limit) {
    const before = { sig: rowsSig(), line: countLine() };
    await afterPaint();
    const s = await type(value);
    const ok = () => (rowsSig() !== before.sig || countLine() !== before.line) && (!check || check());
    let changed = false;
    const final = () => {
      changed = changed || ok();
      const c = counts();
      return changed && c && !c.searching && (!check || check());
    };
    // Both watched from the input on: a final count in the DOM before the frame that paints the
    // first change is painted in that same frame (waiting for it only after that paint counted
    // one frame too many).
    const finalWatch = when(final, fullLimit);
    const seen = await when(ok, limit);
    let first = null;
    let firstFrame = null;
    if (seen !== null) { firstFrame = await afterPaint(); first = performance.now() - s; }
    const finalSeen = seen === null ? null : await finalWatch;
    let full = null;
    if (finalSeen !== null && finalSeen <= firstFrame) full = first;
    else if (finalSeen !== null) { await afterPaint(); full = performance.now() - s; }
    return { first, full, dom: seen === null ? null : seen - s, split: split(s, seen), split_full: split(s, finalSeen) };
  }

  // Frame intervals while the timeline scrolls by two viewports a frame.
  async function scroll(frames, whileLoading) {
    const list = q('.event-list');
    if (!list) return null;
    const step = Math.max(200, list.clientHeight * 2);
    const times = [];
    let last = await frame();
    const from = last;
    let during = 0;
    for (let i = 0; i < frames; i++) {
      if (whileLoading && !loading()) break;
      if (loading()) during++;
      list.scrollTop += step;
      const t = await frame();
      times.push(t - last);
      last = t;
    }
    list.scrollTop = 0;
    return { frame: stats(times), frames_while_loading: during, step_px: step, frames_over_50: framesIn(from, last) };
  }

  const fieldIs = (want) => () => {
    const rows = Array.from(all('[data-testid=event-row]'));
    return rows.length > 0 && rows.every((r) => (r.dataset.field === 'mobile') === want);
  };

  async function memory() {
    const out = { cross_origin_isolated: self.crossOriginIsolated === true };
    if (typeof window.gc === 'function') window.gc();
    if (performance.memory) out.page_js_heap_bytes = performance.memory.usedJSHeapSize;
    if (out.cross_origin_isolated && performance.measureUserAgentSpecificMemory) {
      try {
        const m = await Promise.race([performance.measureUserAgentSpecificMemory(), sleep(60000).then(() => null)]);
        if (m) {
          out.uasm_bytes = m.bytes;
          const by = {};
          for (const b of m.breakdown) {
            const scopes = b.attribution.map((a) => a.scope).join('+') || 'unattributed';
            const key = `${scopes}/${b.types.join('+') || 'other'}`;
            by[key] = (by[key] || 0) + b.bytes;
          }
          out.uasm_breakdown = by;
        } else out.uasm_error = 'no answer within 60 s';
      } catch (e) { out.uasm_error = String(e); }
    }
    return out;
  }

  // TextDecoder + JSON.parse of the very files the app opened, one at a time, in this page.
  async function rawParse(files) {
    let read = 0; let parse = 0; let bytes = 0; let longest = 0;
    for (const f of files) {
      let s = performance.now();
      const buf = await f.arrayBuffer();
      read += performance.now() - s;
      bytes += buf.byteLength;
      s = performance.now();
      JSON.parse(new TextDecoder().decode(buf));
      const d = performance.now() - s;
      parse += d;
      longest = Math.max(longest, d);
      await sleep(0);
    }
    return { files: files.length, bytes, read_ms: read, parse_ms: parse, longest_parse_ms: longest };
  }

  async function run(t0, files) {
    // Not the files' sizes yet: for picked files Chromium answers `size` with a file-system
    // lookup on this thread (0.3–0.8 ms each here), which in the `change` task itself held the
    // app's handler back by up to 0.8 s at 1,000 files. They are added up after the load.
    const r = { files: files.length };
    const demoSig = rowsSig();
    // First rows of the trail: the header names the files and the rows are not the demo's.
    const seen = await when(() => ours() && rowCount() > 0 && rowsSig() !== demoSig, 600000);
    if (seen === null) throw new Error(`the trail's rows never showed (${text('[data-testid=loaded-count]')})`);
    r.first_rows_dom_ms = seen - t0;
    await afterPaint();
    r.first_rows_ms = performance.now() - t0;
    r.loading_at_first_rows = loading();

    // While it loads: scroll, then type queries the rows can be checked against.
    if (loading()) r.scroll_loading = await scroll(180, true);
    const typingFrom = performance.now();
    const during = [];
    for (let i = 0; i < 8 && loading(); i++) {
      const mobile = i % 2 === 0;
      const a = await query(mobile ? 'field:mobile' : '-field:mobile', 10000, fieldIs(mobile), 2000);
      during.push({ ...a, still_loading: loading() });
    }
    const typingTo = performance.now();
    if (during.length) {
      r.typing_loading = {
        first: stats(during.filter((d) => d.first !== null).map((d) => d.first)),
        full: stats(during.filter((d) => d.full !== null).map((d) => d.full)),
        queries: during.length,
        answered_while_loading: during.filter((d) => d.first !== null && d.still_loading).length,
        long_tasks: tasksIn(typingFrom, typingTo),
      };
    }
    await type('');

    // The whole load: progress gone, the count final and every record in.
    const full = await when(() => {
      const c = counts();
      return ours() && !loading() && c && !c.searching && c.count === c.total && c.total >= cfg.records && rowCount() > 0;
    }, 1800000);
    if (full === null) throw new Error(`the load never finished (${countLine()}; ${text('[data-testid=loaded-count]')})`);
    r.full_dom_ms = full - t0;
    await afterPaint();
    r.full_ms = performance.now() - t0;
    r.events = counts().total;
    r.loaded_line = text('[data-testid=loaded-count]');
    await sleep(300); // the long-task observer delivers late
    r.long_tasks_load = tasksIn(t0, t0 + r.full_ms);
    r.long_tasks_before_upload = tasksIn(0, t0 - 1);
    // The task that dispatched `change`: how much of it came before (the browser building the
    // file list) and how much was the app's handler.
    const upload = longTasks.find((t) => t.start <= t0 && t0 <= t.start + t.duration);
    r.upload_task = {
      ms: upload ? upload.duration : null,
      before_change_ms: upload ? t0 - upload.start : null,
      handler_ms: state.handlerMs === undefined ? null : state.handlerMs,
    };

    // Loaded: fresh queries (each replaces the last), then keystrokes narrowing.
    const afterFrom = performance.now();
    const fresh = [];
    const freshFull = [];
    const freshSplit = [];
    const freshEach = [];
    for (let round = 0; round < cfg.rounds; round++) {
      for (const f of cfg.filters) {
        const a = await query(f, 3000);
        if (a.first !== null) { fresh.push(a.first); freshSplit.push({ ...a.split, dom: a.dom }); }
        if (a.full !== null) freshFull.push(a.full);
        freshEach.push({ filter: f, first: a.first, full: a.full, dom: a.dom, split: a.split });
      }
    }
    // Each query as measured, in the raw results (BENCH_RAW_DIR): which filter the p95 is.
    r.fresh_each = freshEach;
    r.fresh_first = stats(fresh);
    r.fresh_full = stats(freshFull);
    r.fresh_split = { ...splitStats(freshSplit), p50_dom_ms: stats(freshSplit.map((x) => x.dom)).p50 };
    const keys = [];
    const keySplit = [];
    let unchanged = 0;
    for (let round = 0; round < cfg.rounds; round++) {
      let prev = null;
      for (const k of cfg.keystrokes) {
        if (prev !== null && !k.startsWith(prev)) {
          await query('', 3000); // a new typed sequence starts from an empty box
        }
        const a = await query(k, 800);
        if (a.full !== null) { keys.push(a.full); keySplit.push(a.split_full); } else unchanged++;
        prev = k;
      }
      await query('', 3000);
    }
    r.keystroke = stats(keys);
    r.keystroke_unchanged = unchanged;
    r.keystroke_split = splitStats(keySplit);
    r.long_tasks_after = tasksIn(afterFrom, performance.now());
    r.scroll_loaded = await scroll(180, false);
    r.max_dom_rows = maxRows;

    await sleep(500);
    r.memory = await memory();
    // The runner reads the renderer process's resident memory now (page and worker threads
    // together), then lets the JSON.parse baseline run.
    state.memoryReady = true;
    for (let i = 0; i < 600 && !state.memoryTaken; i++) await sleep(100);
    r.bytes = files.reduce((a, f) => a + f.size, 0);
    r.raw_parse = await rawParse(files);
    return r;
  }

  // The upload: `change` on the file input, seen on the document before the app's own handler.
  document.addEventListener('change', (e) => {
    if (!(e.target instanceof HTMLInputElement) || e.target.type !== 'file' || state.started) return;
    state.started = true;
    const t0 = performance.now();
    state.t0 = t0;
    const files = Array.from(e.target.files || []);
    run(t0, files).then(
      (result) => { state.result = result; state.done = true; },
      (err) => { state.error = String(err && err.stack ? err.stack : err); state.done = true; },
    );
  }, true);
  // After the app's own handler (delegated below the window): how long it took.
  window.addEventListener('change', (e) => {
    if (e.target instanceof HTMLInputElement && e.target.type === 'file' && state.t0 !== undefined && state.handlerMs === undefined) {
      state.handlerMs = performance.now() - state.t0;
    }
  });
  return true;
})();
