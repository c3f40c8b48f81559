/**
 * `npm run bench`: the same echo app reached three ways, side by side, with 1 KiB bodies:
 *   direct (client → app), nginx pair (client → nginx → nginx → app), Courier pair
 *   (client → Courier A → Courier B → app, `/v1.0/invoke/echo/method/echo`).
 *
 *   node tools/bench/dist/main.js [--quick] [--only=direct,nginx,courier] [--cpu-prof]
 *
 * Per setup: req/s with 64 connections (autocannon, after a warm-up); latency p50/p99 at 200 req/s
 * and p50/p90/p99 at a fixed 1,000 req/s, open loop, from each request's scheduled send time; each
 * proxy process's idle RSS and peak RSS under that load (VmRSS every 100 ms; nginx = master +
 * worker); then, each on fresh processes, a large body streamed through and echoed back (a) while
 * it arrives (full duplex) and (b) after it fully arrived (the app spools it to a file), with time,
 * each proxy's RSS growth and a sha256 check. Then the targets check. A full run of all three
 * setups (no --quick, --only, --cpu-prof) rewrites the block between the markers in
 * tools/bench/RESULTS.md; --cpu-prof prints the Couriers' top self-time functions.
 *
 * Loopback only. Every phase is time-bounded, a global deadline ends the run, and every child
 * (process group) is killed on the way out, also on failure, Ctrl-C, or (via a watchdog process)
 * when this process is killed outright.
 */
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import autocannon from "autocannon";
import { readProfile, selfTimeByArea, selfTimes } from "./cpu-profile.js";
import { runOpenLoop } from "./open-loop.js";
import { BenchError, RssWindow, Watchdog, bounded, cpuOf, rssOf, sleep } from "./procs.js";
import { STREAM_MODES, STREAM_MODE_LABELS, loadTable, memoryTable, streamTable, targetsCheck, targetsMarkdown, writeResultsBlock } from "./report.js";
import type { ProxyLoad, SetupResult } from "./report.js";
import { COURIER_BIN, REPO_ROOT, SETUP_LABELS, SETUP_NAMES, findNginx, nginxVersion, startSetup } from "./setups.js";
import type { RunningSetup, SetupName } from "./setups.js";
import { mib } from "./stats.js";
import { streamThrough } from "./stream.js";

// ---------------------------------------------------------------- flags

const USAGE = "usage: node tools/bench/dist/main.js [--quick] [--only=direct,nginx,courier] [--cpu-prof]";
const args = process.argv.slice(2);
if (args.includes("--help") || args.includes("-h")) {
  console.log(USAGE);
  process.exit(0);
}
for (const a of args) {
  if (a !== "--quick" && a !== "--cpu-prof" && !a.startsWith("--only=")) {
    console.error(`unknown argument ${a}\n${USAGE}`);
    process.exit(2);
  }
}
const QUICK = args.includes("--quick");
const CPU_PROF = args.includes("--cpu-prof");
const onlyArg = args.find((a) => a.startsWith("--only="))?.slice("--only=".length);
const ONLY: SetupName[] = onlyArg ? (onlyArg.split(",").map((s) => s.trim()).filter(Boolean) as SetupName[]) : SETUP_NAMES;
for (const n of ONLY) {
  if (!SETUP_NAMES.includes(n)) {
    console.error(`--only: unknown setup ${n} (known: ${SETUP_NAMES.join(", ")})`);
    process.exit(2);
  }
}

const BODY_BYTES = 1024;
const CONNECTIONS = 64;
const TP_WARMUP_S = QUICK ? 1 : 2;
const TP_S = QUICK ? 3 : 10;
const RATE = 1_000;
const LAT_WARMUP_MS = QUICK ? 1_000 : 2_000;
const LAT_MS = QUICK ? 3_000 : 10_000;
/** A lower open-loop rate first, below every setup's capacity here: the latency floor. */
const LOW_RATE = 200;
const LOW_WARMUP_MS = 1_000;
const LOW_MS = QUICK ? 2_000 : 5_000;
/** Pool size of the open-loop generator: above what 1,000 req/s needs at the latencies seen here. */
const LAT_CONNECTIONS = 128;
const LAT_DRAIN_CAP_MS = 15_000;
const STREAM_BYTES = (QUICK ? 32 : 256) * 1024 * 1024;
const STREAM_TIMEOUT_MS = QUICK ? 60_000 : 180_000;
/** A stream with no byte moving either way for this long is given up (nginx's full-duplex stall). */
const STALL_MS = 15_000;
/** Pause after a start (and between phases) before idle RSS is read and load begins. */
const SETTLE_MS = 2_000;
/** Whole run: 3 setups × (load ≈ 35 s + drains + stream ≤ 3 min + starts), generously. */
const DEADLINE_MS = (QUICK ? 6 : 20) * 60_000;
const TOP_N = 15;
const RESULTS_FILE = path.join(REPO_ROOT, "tools/bench/RESULTS.md");

// ---------------------------------------------------------------- lifecycle

const tempDir = mkdtempSync(path.join(os.tmpdir(), "courier-bench-"));
const watchdog = new Watchdog(tempDir);
const cpuProfDir = CPU_PROF ? mkdtempSync(path.join(os.tmpdir(), "courier-bench-cpuprof-")) : undefined;
const active = new Set<RunningSetup>();

/** Kills every child still running; removes the temporary folder unless its logs are wanted. */
function killEverything(keepLogs = false): void {
  for (const s of active) s.kill();
  active.clear();
  watchdog.done();
  if (keepLogs) console.error(`logs kept in ${tempDir}`);
  else rmSync(tempDir, { recursive: true, force: true });
}

let interrupted = false;
for (const sig of ["SIGINT", "SIGTERM"] as const) {
  process.on(sig, () => {
    if (interrupted) return;
    interrupted = true;
    console.error(`\n${sig}: stopping every child process`);
    killEverything();
    process.exit(130);
  });
}
const deadline = setTimeout(() => {
  console.error(`\nbench deadline (${DEADLINE_MS / 60_000} min) passed: killing every child process`);
  killEverything(true);
  process.exit(1);
}, DEADLINE_MS);
deadline.unref();

const log = (msg: string) => console.error(`[bench ${new Date().toISOString().slice(11, 19)}] ${msg}`);

async function run<T>(setup: RunningSetup, fn: (s: RunningSetup) => Promise<T>): Promise<T> {
  active.add(setup);
  try {
    return await fn(setup);
  } finally {
    const problems = await setup.stop();
    active.delete(setup);
    for (const p of problems) log(`warning: ${p}`);
  }
}

// ---------------------------------------------------------------- phases

const BODY = Buffer.alloc(BODY_BYTES);
for (let i = 0; i < BODY_BYTES; i++) BODY[i] = 0x20 + (i % 95);

async function throughput(s: RunningSetup): Promise<NonNullable<SetupResult["throughput"]>> {
  const opts = (seconds: number): autocannon.Options => ({
    url: `${s.origin}${s.echoPath}`,
    method: "POST",
    body: BODY,
    headers: { "content-type": "application/octet-stream" },
    connections: CONNECTIONS,
    pipelining: 1,
    duration: seconds,
    timeout: 10,
  });
  // autocannon's promise is also its tracker, which can be stopped if the bound runs out.
  const cannon = async (what: string, seconds: number) => {
    const instance = autocannon(opts(seconds));
    try {
      return await bounded(`${s.name} ${what}`, (seconds + 30) * 1000, instance);
    } catch (err) {
      (instance as unknown as { stop?: () => void }).stop?.();
      throw err;
    }
  };
  log(`${s.name}: throughput warm-up ${TP_WARMUP_S} s`);
  await cannon("warm-up", TP_WARMUP_S);
  log(`${s.name}: throughput ${TP_S} s, ${CONNECTIONS} connections`);
  const cpu0 = s.proxies.reduce((a, p) => a + cpuOf(p), 0);
  const r = await cannon("throughput", TP_S);
  const cpu1 = s.proxies.reduce((a, p) => a + cpuOf(p), 0);
  const ok = r["2xx"];
  return {
    rps: ok / r.duration,
    ok,
    non2xx: r.non2xx,
    errors: r.errors,
    timeouts: r.timeouts,
    seconds: r.duration,
    ...(s.proxies.length > 0 && ok > 0 ? { proxyCpuMsPer1k: ((cpu1 - cpu0) / ok) * 1000 } : {}),
  };
}

async function latency(s: RunningSetup, rate: number, warmupMs: number, ms: number) {
  log(`${s.name}: open loop ${rate}/s for ${(warmupMs + ms) / 1000} s (first ${warmupMs / 1000} s not recorded)`);
  return bounded(
    `${s.name} latency @${rate}/s`,
    warmupMs + ms + LAT_DRAIN_CAP_MS + 15_000,
    runOpenLoop({
      origin: s.origin,
      path: s.echoPath,
      body: BODY,
      rate,
      durationMs: warmupMs + ms,
      warmupMs,
      connections: LAT_CONNECTIONS,
      drainCapMs: LAT_DRAIN_CAP_MS,
    }),
  );
}

async function benchSetup(name: SetupName): Promise<SetupResult> {
  const result: SetupResult = { name, label: SETUP_LABELS[name], streams: {}, loadavg: [os.loadavg()[0]!, 0] };
  const fail = (what: string, err: unknown) => {
    const msg = `${what}: ${err instanceof Error ? err.message : String(err)}`;
    (result.failed ??= []).push(msg);
    log(`${name}: FAILED ${msg}`);
  };
  if (name === "nginx" && !findNginx()) {
    result.skipped = "nginx not installed";
    result.loadavg[1] = result.loadavg[0];
    log("nginx not installed: skipping the nginx pair (apt-get install -y nginx-light)");
    return result;
  }
  const ctx = (phase: string) => ({ tempDir, watchdog, phase, ...(cpuProfDir ? { cpuProfDir } : {}) });

  // Load: throughput, then open-loop latency, on one set of processes.
  try {
    log(`${name}: starting`);
    const setup = await startSetup(name, ctx("load"));
    await run(setup, async (s) => {
      await sleep(SETTLE_MS);
      const idle = s.proxies.map(rssOf);
      const window = new RssWindow(s.proxies);
      try {
        try {
          result.throughput = await throughput(s);
        } catch (err) {
          fail("throughput", err);
        }
        await sleep(500);
        try {
          result.latencyLow = await latency(s, LOW_RATE, LOW_WARMUP_MS, LOW_MS);
        } catch (err) {
          fail(`latency @${LOW_RATE}/s`, err);
        }
        await sleep(500);
        try {
          result.latency = await latency(s, RATE, LAT_WARMUP_MS, LAT_MS);
        } catch (err) {
          fail(`latency @${RATE}/s`, err);
        }
      } finally {
        const peaks = window.end();
        result.load = s.proxies.map((p, i) => ({ label: p.label, idleRss: idle[i]!, peakRss: peaks[i]! }));
      }
    });
    const app = setup.appStats();
    if (app) result.app = app;
  } catch (err) {
    fail("load run", err);
  }

  // Streams: fresh processes for each, so the growth is the stream's own.
  for (const mode of STREAM_MODES) {
    try {
      await sleep(SETTLE_MS);
      const setup = await startSetup(name, ctx(mode === "duplex" ? "stream" : mode));
      await run(setup, async (s) => {
        await sleep(SETTLE_MS);
        const idle = s.proxies.map(rssOf);
        const window = new RssWindow(s.proxies);
        log(`${name}: streaming ${mib(STREAM_BYTES)} MiB, ${STREAM_MODE_LABELS[mode]}`);
        let r;
        try {
          r = await bounded(
            `${name} stream`,
            STREAM_TIMEOUT_MS + 10_000,
            streamThrough(s.origin, mode === "duplex" ? s.streamPath : s.spoolPath, STREAM_BYTES, STREAM_TIMEOUT_MS, STALL_MS),
          );
        } finally {
          const peaks = window.end();
          if (r) result.streams[mode] = { result: r, proxies: s.proxies.map((p, i): ProxyLoad => ({ label: p.label, idleRss: idle[i]!, peakRss: peaks[i]! })) };
        }
        if (r.ok) log(`${name}: ${mib(STREAM_BYTES)} MiB in ${r.seconds.toFixed(2)} s`);
        else log(`${name}: stream FAILED: ${r.error ?? "digest mismatch"}`);
      });
    } catch (err) {
      fail(`${mode} stream run`, err);
    }
  }
  result.loadavg[1] = os.loadavg()[0]!;
  return result;
}

// ---------------------------------------------------------------- output

function machine(): string[] {
  const cpus = os.cpus();
  return [
    `- date: ${new Date().toISOString()}`,
    `- machine: \`uname -m\` ${os.machine()}; CPU ${cpus[0]?.model.trim() ?? "unknown"}; ${cpus.length} cores; ${mib(os.totalmem()).toFixed(0)} MiB RAM; Linux ${os.release()}`,
    `- node ${process.version}; nginx ${nginxVersion()}; Courier ${path.relative(REPO_ROOT, COURIER_BIN)}`,
  ];
}

function profiles(): string {
  if (!cpuProfDir) return "";
  if (!ONLY.includes("courier")) return `--cpu-prof: no Courier pair in this run (profiles only cover Couriers)`;
  const out: string[] = [`CPU profiles (--cpu-prof) in ${cpuProfDir}; top ${TOP_N} functions by self time, (idle) excluded:`];
  for (const phase of ["load", "stream", "spool"]) {
    for (const which of ["A", "B"]) {
      const dir = path.join(cpuProfDir, `${phase}-${which}`);
      let files: string[] = [];
      try {
        files = readdirSync(dir).filter((f) => f.endsWith(".cpuprofile"));
      } catch {
        /* not run */
      }
      if (files.length === 0) {
        out.push(`\n### Courier ${which}, ${phase} run: no profile written`);
        continue;
      }
      for (const file of files) {
        const profile = readProfile(path.join(dir, file));
        const s = selfTimes(profile, TOP_N, REPO_ROOT);
        const busy = s.totalMs - s.idleMs;
        const areas = selfTimeByArea(profile, REPO_ROOT).slice(0, 10);
        out.push(
          `\n### Courier ${which} (${which === "A" ? "caller, no app" : "callee, app echo"}), ${phase} run: ${(busy / 1000).toFixed(1)} s busy of ${(s.totalMs / 1000).toFixed(1)} s profiled (${file})`,
          "",
          "| # | self ms | % busy | function | where |",
          "|---:|---:|---:|---|---|",
          ...s.top.map((e, i) => `| ${i + 1} | ${e.selfMs.toFixed(0)} | ${(e.share * 100).toFixed(1)} | \`${e.name}\` | ${e.location ? `\`${e.location}\`` : ""} |`),
          "",
          `By area (self time, % busy): ${areas.map((a) => `${a.area} ${(a.share * 100).toFixed(0)}%`).join(", ")}`,
        );
      }
    }
  }
  return out.join("\n");
}

async function main(): Promise<number> {
  const startLoad = os.loadavg();
  log(`setups: ${ONLY.join(", ")}${QUICK ? " (quick)" : ""}${CPU_PROF ? " with --cpu-prof" : ""}; logs in ${tempDir}`);
  const results: SetupResult[] = [];
  for (const name of ONLY) {
    results.push(await benchSetup(name));
    await sleep(2_000);
  }
  const endLoad = os.loadavg();
  const mode = QUICK ? "quick" : "full";
  const cmd = `node tools/bench/dist/main.js${args.length > 0 ? ` ${args.join(" ")}` : ""}`;
  const targets = targetsCheck(results, STREAM_BYTES, LOW_RATE);
  const failures = results.flatMap((r) => (r.failed ?? []).map((f) => `- ${r.name}: ${f}`));
  const block = [
    ...machine(),
    `- commands: \`npm run bench\` (= \`npm run build && node tools/bench/dist/main.js\`); this run: \`${cmd}\``,
    `- mode: ${mode}; ${BODY_BYTES} B bodies; throughput: autocannon, ${CONNECTIONS} connections, ${TP_WARMUP_S} s warm-up + ${TP_S} s; latency: open loop at ${LOW_RATE} req/s for ${(LOW_WARMUP_MS + LOW_MS) / 1000} s, then at ${RATE} req/s for ${(LAT_WARMUP_MS + LAT_MS) / 1000} s (first ${LOW_WARMUP_MS / 1000} s / ${LAT_WARMUP_MS / 1000} s not recorded), undici Pool of ${LAT_CONNECTIONS} connections, measured from each request's scheduled send time, requests still unanswered ${LAT_DRAIN_CAP_MS / 1000} s after the last send count as ∞; streams: ${mib(STREAM_BYTES)} MiB POST, chunked, 64 KiB writes, on freshly started proxies, (a) echoed by the app while it arrives (full duplex; the targets use this one), (b) spooled by the app to a file and echoed once complete`,
    `- **shared CPU:** ${os.cpus().length} cores run the load generator (this process), the echo app and both proxies at once; 1-min load average ${startLoad[0]!.toFixed(1)} at start, ${endLoad[0]!.toFixed(1)} at end (per setup: ${results.map((r) => `${r.name} ${r.loadavg[0].toFixed(1)}→${r.loadavg[1].toFixed(1)}`).join(", ")})`,
    "",
    loadTable(results, RATE, LOW_RATE),
    "",
    memoryTable(results),
    "",
    streamTable(results, STREAM_BYTES),
    "",
    "RSS per proxy process (A = the one the client calls, B = the one in front of the app); nginx figures are master + worker. CPU = user+sys of all proxy processes during the throughput window. \"app saw\" = TCP connections the echo app accepted and requests it served over the whole load run (warm-up, throughput, latency, checks): connections far below requests mean the proxies reuse their upstream connections. Each stream runs on freshly started proxies (RSS before = their idle RSS).",
    "",
    "**Targets**",
    "",
    targetsMarkdown(targets),
    ...(failures.length > 0 ? ["", "**Failures**", "", ...failures] : []),
  ].join("\n");

  console.log(`\n${block}\n`);
  const prof = profiles();
  if (prof) console.log(`${prof}\n`);

  const full = !QUICK && !CPU_PROF && !onlyArg;
  if (full) {
    writeResultsBlock(RESULTS_FILE, block);
    log(`wrote ${path.relative(process.cwd(), RESULTS_FILE) || RESULTS_FILE}`);
  } else {
    log("not a full run (--quick, --only or --cpu-prof): RESULTS.md left alone");
  }
  return failures.length > 0 ? 1 : 0;
}

main().then(
  (code) => {
    clearTimeout(deadline);
    killEverything(code !== 0);
    process.exit(code);
  },
  (err) => {
    console.error(`bench failed: ${err instanceof BenchError ? err.message : (err as Error)?.stack ?? err}`);
    killEverything(true);
    process.exit(1);
  },
);
