//! Native benchmarks on generated Capillary-shaped data: parse throughput, index
//! build, keystroke query latency, and memory per event (a counting global
//! allocator). The generator is local on purpose: the bench must not depend on
//! other workspace crates.
//!
//! Run: `CARGO_TARGET_DIR=target/core cargo bench -p audit-core --bench audit_core`
// The counting allocator is a `GlobalAlloc`, which is unsafe to implement by definition.
#![allow(unsafe_code)]

use std::alloc::{GlobalAlloc, Layout, System};
use std::fmt::Write as _;
use std::hint::black_box;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use audit_core::{parse_response, Query, Search, Store};

/// The pathological inputs of the recovery tests (the module allows its
/// other helpers to go unused).
#[path = "../tests/common.rs"]
mod common;
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};

/// Counts live heap bytes so memory per event is measured, not estimated.
struct Counting;

static LIVE: AtomicUsize = AtomicUsize::new(0);
/// Most bytes live at once since last reset: WASM memory never shrinks, so
/// what a load costs the page is its peak, not what it holds at the end.
static PEAK: AtomicUsize = AtomicUsize::new(0);

fn note_peak() {
    PEAK.fetch_max(LIVE.load(Ordering::Relaxed), Ordering::Relaxed);
}
/// Largest single allocation or reallocation since last reset (PAGES_DETAIL:
/// a table that doubles shows up as one big one on a slow page).
static BIGGEST: AtomicUsize = AtomicUsize::new(0);
/// Bytes a `realloc` had to carry over (the old size) since last reset.
static MOVED: AtomicUsize = AtomicUsize::new(0);
/// When set, `realloc` allocates, copies and frees, as WASM's allocator does
/// for a block it cannot extend (glibc `mremap`s big blocks instead, which
/// hides the copy natively). Set by `PAGES_COPY_REALLOC=1`.
static COPY_REALLOC: AtomicBool = AtomicBool::new(false);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, l: Layout) -> *mut u8 {
        LIVE.fetch_add(l.size(), Ordering::Relaxed);
        note_peak();
        BIGGEST.fetch_max(l.size(), Ordering::Relaxed);
        unsafe { System.alloc(l) }
    }
    unsafe fn alloc_zeroed(&self, l: Layout) -> *mut u8 {
        LIVE.fetch_add(l.size(), Ordering::Relaxed);
        note_peak();
        BIGGEST.fetch_max(l.size(), Ordering::Relaxed);
        unsafe { System.alloc_zeroed(l) }
    }
    unsafe fn dealloc(&self, p: *mut u8, l: Layout) {
        LIVE.fetch_sub(l.size(), Ordering::Relaxed);
        unsafe { System.dealloc(p, l) }
    }
    unsafe fn realloc(&self, p: *mut u8, l: Layout, new: usize) -> *mut u8 {
        // A copying realloc holds both blocks for a moment.
        LIVE.fetch_add(new, Ordering::Relaxed);
        note_peak();
        LIVE.fetch_sub(l.size(), Ordering::Relaxed);
        BIGGEST.fetch_max(new, Ordering::Relaxed);
        MOVED.fetch_add(l.size().min(new), Ordering::Relaxed);
        if COPY_REALLOC.load(Ordering::Relaxed) {
            let Ok(nl) = Layout::from_size_align(new, l.align()) else {
                return std::ptr::null_mut();
            };
            unsafe {
                let q = System.alloc(nl);
                if !q.is_null() {
                    std::ptr::copy_nonoverlapping(p, q, l.size().min(new));
                    System.dealloc(p, l);
                }
                q
            }
        } else {
            unsafe { System.realloc(p, l, new) }
        }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

/// CPU time of this thread: what a page costs without the time other
/// processes took the core away (wall time when that is not available).
fn thread_cpu() -> Duration {
    #[cfg(unix)]
    {
        let mut t = libc::timespec {
            tv_sec: 0,
            tv_nsec: 0,
        };
        // SAFETY: `t` is a valid timespec for the call to fill.
        if unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut t) } == 0 {
            return Duration::new(t.tv_sec as u64, t.tv_nsec as u32);
        }
    }
    static START: std::sync::OnceLock<Instant> = std::sync::OnceLock::new();
    START.get_or_init(Instant::now).elapsed()
}

/// xorshift64*: deterministic, dependency-free.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    fn token(&mut self) -> String {
        const A: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
        let mut s: String = (0..22)
            .map(|_| A[self.below(64) as usize] as char)
            .collect();
        s.push_str(":APA91b");
        s.extend((0..134).map(|_| A[self.below(64) as usize] as char));
        s
    }
}

/// Per-customer state so values chain (a token's current is the next previous).
struct Customer {
    id: u64,
    mobile: String,
    token: String,
    status_label: u32,
}

/// Generates `n` events as current-API pages of up to `per_page` records
/// (compact JSON, like the live API). Returns the page bodies.
fn generate(n: usize, per_page: usize, seed: u64) -> Vec<Vec<u8>> {
    generate_ordered(n, per_page, seed, false)
}

/// [`generate`], each page's records newest first when `newest_first` (as
/// the API sends them; the same records, so the same store).
fn generate_ordered(n: usize, per_page: usize, seed: u64, newest_first: bool) -> Vec<Vec<u8>> {
    let mut rng = Rng(seed | 1);
    let customers = (n / 50).max(1);
    let mut people: Vec<Customer> = (0..customers)
        .map(|i| Customer {
            id: 90_000_000 + i as u64,
            mobile: format!("9{:09}", rng.below(1_000_000_000)),
            token: rng.token(),
            status_label: 53,
        })
        .collect();
    let users = ["aldo.till.1", "aldo.till.2", "store.manager", "mc.agent"];
    let sources = ["INSTORE", "MAPP_SDK", "instore", "WEB_ENGAGE", "MOBILE_APP"];
    let mut pages = Vec::new();
    let mut records: Vec<String> = Vec::new();
    let mut in_page = 0;
    let mut t: u64 = 1_600_000_000_000;
    let mut made = 0;
    while made < n {
        t += 1 + rng.below(600_000);
        let c = &mut people[rng.below(customers as u64) as usize];
        let user = if rng.below(3) == 0 {
            "null".to_owned()
        } else {
            format!("\"{}\"", users[rng.below(4) as usize])
        };
        let rq: String = (0..4)
            .map(|_| format!("{:08x}", rng.next() as u32))
            .collect();
        let (mode, ctx) = if rng.below(10) == 0 {
            (
                "MEMBER_CARE",
                r#"{"entityType":"INTOUCH_ADMIN_USER","entityId":"75015489","entitySource":"MEMBER_CARE","entitySourceId":"Achyuthanandan S"}"#,
            )
        } else {
            ("API", "null")
        };
        let events = if rng.below(20) == 0 { 2 } else { 1 };
        let mut ev = String::new();
        for k in 0..events {
            if k > 0 {
                ev.push(',');
            }
            match rng.below(10) {
                0..=3 => {
                    let new = rng.token();
                    let _ = write!(
                        ev,
                        r#"{{"eventType":"Communication Channels","updatedField":"ios","additionalFields":{{"previousValue":"{}","currentValue":"{new}"}},"associateEntities":null}}"#,
                        c.token
                    );
                    c.token = new;
                }
                4..=5 => {
                    let new = format!("9{:09}", rng.below(1_000_000_000));
                    let _ = write!(
                        ev,
                        r#"{{"eventType":"Identifiers","updatedField":"mobile","additionalFields":{{"previousValue":"{}","currentValue":"{new}"}},"associateEntities":null}}"#,
                        c.mobile
                    );
                    c.mobile = new;
                }
                6 => {
                    let card = format!("GOLD{:012}", rng.below(1_000_000_000_000));
                    let _ = write!(
                        ev,
                        r#"{{"eventType":"Identifiers","updatedField":"cardnumber","additionalFields":{{"previousValue":"NA","currentValue":"{card}"}},"associateEntities":null}}"#
                    );
                }
                7 => {
                    let new = 53 + (c.status_label - 52) % 3;
                    let _ = write!(
                        ev,
                        r#"{{"eventType":"Customer Status","updatedField":"CustomerStatus","additionalFields":{{"previousLabelId":"{}","previousValue":"ACTIVE","currentValue":"ACTIVE","currentLabelId":"{new}"}},"associateEntities":null}}"#,
                        c.status_label
                    );
                    c.status_label = new;
                }
                8 => {
                    let ch = ["EMAIL", "ANDROID", "SMS"][rng.below(3) as usize];
                    let (p, n2) = if rng.below(2) == 0 {
                        ("NA", "OPTIN")
                    } else {
                        ("OPTIN", "OPTOUT")
                    };
                    let _ = write!(
                        ev,
                        r#"{{"eventType":"Subscription Status","updatedField":"SubscriptionStatus","additionalFields":{{"org_source_id":"399","communication_channel_type":"{ch}","ou_id":"-1","communication_channel_id":"2","priority":"TRANS","org_source":"WEB_ENGAGE","previousValue":"{p}","currentValue":"{n2}"}},"associateEntities":null}}"#
                    );
                }
                _ => {
                    let names = ["V", "Vatsal", "Kumar", "Sharma", "Rao"];
                    let _ = write!(
                        ev,
                        r#"{{"eventType":"Standard Fields","updatedField":"LastName","additionalFields":{{"previousValue":"{}","currentValue":"{}"}},"associateEntities":null}}"#,
                        names[rng.below(5) as usize],
                        names[rng.below(5) as usize]
                    );
                }
            }
        }
        let mut body = String::new();
        let _ = write!(
            body,
            r#"{{"updatedByUser":{user},"updatedBy":{},"orgId":100458,"entityType":"CUSTOMER","entityId":{},"createdOn":{},"requestId":"{rq}","till":null,"store":null,"userContextDetails":{ctx},"victimUserDetails":null,"survivorUserDetails":null,"source":"{}","updatedByMode":"{mode}","autoUpdateTime":{t},"events":[{ev}]}}"#,
            75_000_000 + rng.below(100),
            c.id,
            t + 5,
            sources[rng.below(5) as usize],
        );
        records.push(body);
        made += events;
        in_page += 1;
        if in_page == per_page || made >= n {
            if newest_first {
                records.reverse();
            }
            let mut body = format!("{{\"data\":[{}", records.join(","));
            records.clear();
            let _ = write!(
                body,
                r#"],"pagination":{{"totalElements":{n},"totalPages":0,"numberOfElements":{in_page},"number":{}}}}}"#,
                pages.len()
            );
            pages.push(body.into_bytes());
            in_page = 0;
        }
    }
    pages
}

fn build(pages: &[Vec<u8>]) -> Store {
    let mut s = Store::new();
    s.ingest_all(pages.iter().map(|p| (String::new(), parse_response(p))));
    s
}

/// [`build`] through the fused ingest (`Store::ingest_bytes`), as the app
/// does once its callers switch: the same store.
fn build_fused(pages: &[Vec<u8>]) -> Store {
    let mut s = Store::new();
    for p in pages {
        s.ingest_bytes("", p);
    }
    s.shrink_to_fit();
    s
}

/// Which ingest path a measure takes: `AUDIT_BENCH_PATHS=fused` (among
/// owned, fused) runs one; both by default.
fn paths() -> Vec<&'static str> {
    ["owned", "fused"]
        .into_iter()
        .filter(|p| {
            std::env::var("AUDIT_BENCH_PATHS")
                .map_or(true, |v| v.split(',').any(|x| x.trim() == *p))
        })
        .collect()
}

/// The typed sequences: every prefix of each query is one keystroke.
const TYPED: [&str; 3] = [
    "field:mobile 99",
    "ios fcyv",
    "-source:inst user:aldo type:comm",
];

fn keystrokes() -> Vec<Query> {
    TYPED
        .iter()
        .flat_map(|q| (1..=q.len()).filter_map(move |i| Query::parse(&q[..i]).ok()))
        .collect()
}

/// Sizes to run: all by default; `AUDIT_BENCH_SIZES=100000` (comma-separated)
/// picks some, so one size can be re-measured without building the 1M store.
fn sizes(all: &[usize]) -> Vec<usize> {
    match std::env::var("AUDIT_BENCH_SIZES") {
        Ok(v) => {
            let wanted: Vec<usize> = v.split(',').filter_map(|x| x.trim().parse().ok()).collect();
            all.iter().copied().filter(|n| wanted.contains(n)).collect()
        }
        Err(_) => all.to_vec(),
    }
}

/// Groups to run: all by default; `AUDIT_BENCH_GROUPS=keystroke` (comma-separated
/// among parse, index, pages, keystroke, pathological) runs some, so a search change can be
/// measured without building the stores the other groups need.
fn group(name: &str) -> bool {
    std::env::var("AUDIT_BENCH_GROUPS").map_or(true, |v| v.split(',').any(|g| g.trim() == name))
}

fn bench_parse(c: &mut Criterion) {
    if !group("parse") {
        return;
    }
    let mut g = c.benchmark_group("parse");
    for n in sizes(&[10_000, 100_000]) {
        let pages = generate(n, 1000, 7);
        let bytes: usize = pages.iter().map(Vec::len).sum();
        g.throughput(Throughput::Bytes(bytes as u64));
        g.sample_size(10).measurement_time(Duration::from_secs(5));
        g.bench_with_input(BenchmarkId::from_parameter(n), &pages, |b, pages| {
            b.iter(|| {
                for p in pages {
                    black_box(parse_response(p));
                }
            })
        });
    }
    g.finish();
}

fn bench_index(c: &mut Criterion) {
    if !group("index") {
        return;
    }
    let mut g = c.benchmark_group("parse_and_index");
    for n in sizes(&[10_000, 100_000, 1_000_000]) {
        let pages = generate(n, 1000, 11);
        let bytes: usize = pages.iter().map(Vec::len).sum();
        g.throughput(Throughput::Bytes(bytes as u64));
        g.sample_size(10)
            .measurement_time(Duration::from_secs(if n >= 1_000_000 { 20 } else { 5 }));
        for path in paths() {
            let build = if path == "fused" { build_fused } else { build };
            g.bench_with_input(BenchmarkId::new(path, n), &pages, |b, pages| {
                b.iter(|| black_box(build(pages)))
            });
            // Memory held by the store alone (pages are kept by the bench separately).
            let before = LIVE.load(Ordering::Relaxed);
            let store = build(&pages);
            let held = LIVE.load(Ordering::Relaxed).saturating_sub(before);
            eprintln!(
                "MEMORY n={n} path={path} events={} raw_json_bytes={bytes} store_bytes={held} bytes_per_event={:.1} ratio_to_raw={:.3}",
                store.len(),
                held as f64 / store.len() as f64,
                held as f64 / bytes as f64
            );
            // Where it goes, by table (`Store::heap_parts`: capacities, so
            // allocator overhead is the difference from the line above).
            let parts: Vec<String> = store
                .heap_parts()
                .iter()
                .filter(|&&(_, b)| b > 0)
                .map(|(part, b)| format!("{part}={:.1}", *b as f64 / store.len() as f64))
                .collect();
            eprintln!(
                "MEMORY_PARTS n={n} path={path} B/event: {}",
                parts.join(", ")
            );
            drop(store);
        }
    }
    g.finish();
}

/// The live path: one `parse_response` + `Store::ingest_page` per page, as the
/// app ingests API pages, in the API's order (newest first: last page first,
/// its records reversed) and oldest first. Prints the total and the longest
/// single `ingest_page` call (the main-thread task a page costs in the app),
/// in wall time and in this thread's CPU time (which other processes on a
/// shared machine do not inflate). `PAGES_DETAIL=1` lists the 12 longest
/// pages with the largest allocation each made; `PAGES_COPY_REALLOC=1` makes
/// `realloc` copy as WASM's allocator does, so a table that doubles shows.
fn bench_pages(_: &mut Criterion) {
    if !group("pages") {
        return;
    }
    let detail = std::env::var_os("PAGES_DETAIL").is_some();
    COPY_REALLOC.store(
        std::env::var_os("PAGES_COPY_REALLOC").is_some(),
        Ordering::Relaxed,
    );
    for n in sizes(&[100_000, 1_000_000]) {
        let pages = generate(n, 1000, 17);
        let bytes: usize = pages.iter().map(Vec::len).sum();
        // The fused path reads records in the bytes' order: the API's
        // newest-first pages are generated that way for it.
        let newest_pages = if paths().contains(&"fused") {
            generate_ordered(n, 1000, 17, true)
        } else {
            Vec::new()
        };
        for (path, newest_first) in paths().into_iter().flat_map(|p| [(p, true), (p, false)]) {
            let fused = path == "fused";
            let order: Vec<&Vec<u8>> = match (fused, newest_first) {
                (true, true) => newest_pages.iter().rev().collect(),
                (false, true) => pages.iter().rev().collect(),
                _ => pages.iter().collect(),
            };
            let live_before = LIVE.load(Ordering::Relaxed);
            PEAK.store(live_before, Ordering::Relaxed);
            let mut store = Store::new();
            let (mut parse, mut parse_cpu, mut ingest, mut ingest_cpu) = (
                Duration::ZERO,
                Duration::ZERO,
                Duration::ZERO,
                Duration::ZERO,
            );
            let (mut longest, mut longest_cpu, mut longest_step) =
                (Duration::ZERO, Duration::ZERO, Duration::ZERO);
            // Per page, for PAGES_DETAIL.
            let mut per_page = Vec::with_capacity(pages.len());
            for (i, p) in order.into_iter().enumerate() {
                // The owned path parses first (timed apart); the fused one
                // reads and ingests in one call, all counted as ingest.
                let (t0, c0) = (Instant::now(), thread_cpu());
                let parsed = (!fused).then(|| {
                    let mut parsed = parse_response(p);
                    if newest_first {
                        parsed.records.reverse();
                    }
                    parsed
                });
                let parsed_in = t0.elapsed();
                parse += parsed_in;
                parse_cpu += thread_cpu() - c0;
                BIGGEST.store(0, Ordering::Relaxed);
                MOVED.store(0, Ordering::Relaxed);
                let (t1, c1) = (Instant::now(), thread_cpu());
                match parsed {
                    Some(parsed) => {
                        black_box(store.ingest_page("listing", parsed));
                    }
                    None => {
                        black_box(store.ingest_bytes("listing", p));
                    }
                }
                let took = t1.elapsed();
                let cpu = thread_cpu() - c1;
                ingest_cpu += cpu;
                let (biggest, moved) = (
                    BIGGEST.load(Ordering::Relaxed),
                    MOVED.load(Ordering::Relaxed),
                );
                ingest += took;
                // The first page sizes nothing; keep it out of the longest.
                if i > 0 {
                    longest = longest.max(took);
                    longest_cpu = longest_cpu.max(cpu);
                    longest_step = longest_step.max(took + parsed_in);
                }
                per_page.push((cpu, took, parsed_in, i, biggest, moved));
            }
            if detail {
                // Where the long pages are: growth of a table shows as a few
                // pages far above the rest, at store sizes a power of two apart.
                per_page.sort_by(|a, b| b.cmp(a));
                for &(cpu, took, parsed_in, i, biggest, moved) in per_page.iter().take(12) {
                    eprintln!(
                        "  page {i:>5}: ingest_page {:>7.2} ms CPU ({:>7.2} ms wall), parse {:>6.2} ms, \
                         biggest allocation {:>6.1} MiB, realloc carried {:>6.1} MiB",
                        cpu.as_secs_f64() * 1e3,
                        took.as_secs_f64() * 1e3,
                        parsed_in.as_secs_f64() * 1e3,
                        biggest as f64 / (1 << 20) as f64,
                        moved as f64 / (1 << 20) as f64,
                    );
                }
                let median = per_page[per_page.len() / 2].0;
                eprintln!(
                    "  median ingest_page {:.2} ms CPU",
                    median.as_secs_f64() * 1e3
                );
            }
            // Held as the live path leaves it, then after the `shrink_to_fit`
            // the app calls when a load ends (`Explorer::finish_source`).
            let held = LIVE.load(Ordering::Relaxed).saturating_sub(live_before);
            let peak = PEAK.load(Ordering::Relaxed).saturating_sub(live_before);
            let t0 = Instant::now();
            store.shrink_to_fit();
            let shrink = t0.elapsed();
            let shrunk = LIVE.load(Ordering::Relaxed).saturating_sub(live_before);
            let t0 = Instant::now();
            let q = Query::parse("ios").unwrap_or_else(|e| panic!("{e:?}"));
            let hits = Search::new()
                .run(&store, &q, 1_700_000_000_000)
                .events
                .len();
            let first_query = t0.elapsed();
            eprintln!(
                "PAGES n={n} path={path} order={} pages={} parse={parse:?} parse_cpu={parse_cpu:?} ingest_page_total={ingest:?} ingest_page_cpu_total={ingest_cpu:?} \
                 longest_ingest_page={longest:?} longest_ingest_page_cpu={longest_cpu:?} longest_parse_and_ingest={longest_step:?} total_mib_s={:.1} cpu_mib_s={:.1} first_query={first_query:?} hits={hits} \
                 store_bytes={held} peak_bytes={peak} ratio_to_raw={:.3} shrink_to_fit={shrink:?} \
                 after_shrink_bytes={shrunk} bytes_per_event={:.1} after_shrink_ratio={:.3}",
                if newest_first { "newest-first" } else { "oldest-first" },
                pages.len(),
                bytes as f64 / (1 << 20) as f64 / (parse + ingest).as_secs_f64(),
                bytes as f64 / (1 << 20) as f64 / (parse_cpu + ingest_cpu).as_secs_f64(),
                held as f64 / bytes as f64,
                shrunk as f64 / store.len() as f64,
                shrunk as f64 / bytes as f64,
            );
        }
    }
}

fn bench_query(c: &mut Criterion) {
    if !group("keystroke") {
        return;
    }
    let mut g = c.benchmark_group("keystroke_query");
    let queries = keystrokes();
    let detail = std::env::var_os("KEYSTROKE_DETAIL").is_some();
    for n in sizes(&[10_000, 100_000, 1_000_000]) {
        let store = build(&generate(n, 1000, 13));
        g.sample_size(10)
            .measurement_time(Duration::from_secs(if n >= 1_000_000 { 15 } else { 5 }));
        // One iteration types every query of TYPED, keystroke by keystroke.
        g.throughput(Throughput::Elements(queries.len() as u64));
        g.bench_with_input(BenchmarkId::from_parameter(n), &store, |b, store| {
            b.iter(|| {
                let mut s = Search::new();
                for q in &queries {
                    black_box(s.run(store, q, 1_700_000_000_000).events.len());
                }
            })
        });
        // Per-keystroke distribution (criterion reports the whole sequence).
        let mut lat = Vec::new();
        for round in 0..5 {
            let mut s = Search::new();
            for q in &queries {
                let t0 = Instant::now();
                let hits = black_box(s.run(&store, q, 1_700_000_000_000).events.len());
                let took = t0.elapsed();
                lat.push(took);
                if detail && round == 4 {
                    eprintln!(
                        "  {:>9.3} ms  {hits:>8} hits  {:?}",
                        took.as_secs_f64() * 1e3,
                        q.text
                    );
                }
            }
        }
        lat.sort();
        let p = |f: f64| lat[((lat.len() - 1) as f64 * f) as usize];
        eprintln!(
            "KEYSTROKE n={n} keystrokes={} p50={:?} p95={:?} max={:?}",
            queries.len(),
            p(0.5),
            p(0.95),
            p(1.0)
        );
        let t0 = Instant::now();
        let all: Vec<u32> = (0..store.len() as u32).collect();
        black_box(audit_core::facets(&store, &all));
        eprintln!("FACETS n={n} all-events facets {:?}", t0.elapsed());
    }
    g.finish();
}

/// Damaged-page recovery on the inputs that used to make it quadratic (see
/// `recovery_reads_each_byte_a_bounded_number_of_times`): a page of damaged
/// members at 360 KB (the page that froze a tab) and 10 MB, 100,000 nested
/// `[`, a 10 MB unterminated string, a million commas, and, at 1 MB and
/// 4 MB, nested resynchronisation candidates and damaged records. Criterion
/// reports each as MB/s (the target is 50 MB/s or more natively).
fn bench_pathological(c: &mut Criterion) {
    if !group("pathological") {
        return;
    }
    let mut g = c.benchmark_group("pathological");
    let inputs: Vec<(String, Vec<u8>)> = [
        (360_000, &["damaged_members"][..]),
        (10_000_000, &["damaged_members", "unterminated_string"][..]),
        (100_009, &["deep_nesting"][..]),
        (1_000_011, &["commas"][..]),
        (
            1_000_000,
            &[
                "unclosed_candidates",
                "alternating_damage",
                "damaged_records",
            ][..],
        ),
        (4_000_000, &["nested_candidates"][..]),
    ]
    .into_iter()
    .flat_map(|(size, names)| {
        common::pathological(size)
            .into_iter()
            .filter(|(name, _)| names.contains(name))
            .map(move |(name, bytes)| (format!("{name}/{}k", size / 1000), bytes))
    })
    .collect();
    for (name, bytes) in &inputs {
        g.throughput(Throughput::Bytes(bytes.len() as u64));
        g.sample_size(10)
            .warm_up_time(Duration::from_millis(500))
            .measurement_time(Duration::from_secs(3));
        g.bench_with_input(BenchmarkId::from_parameter(name), bytes, |b, bytes| {
            b.iter(|| black_box(parse_response(bytes)))
        });
    }
    g.finish();
}

criterion_group!(
    benches,
    bench_parse,
    bench_index,
    bench_pages,
    bench_query,
    bench_pathological
);
criterion_main!(benches);
