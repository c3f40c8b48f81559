/**
 * Markdown tables, the targets check, and the RESULTS.md block.
 */
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import type { OpenLoopResult } from "./open-loop.js";
import { mib } from "./stats.js";
import type { StreamResult } from "./stream.js";
import type { SetupName } from "./setups.js";

export interface ProxyLoad {
  label: string;
  idleRss: number;
  peakRss: number;
}

export interface SetupResult {
  name: SetupName;
  label: string;
  /** Why it did not run at all (nginx not installed). */
  skipped?: string;
  /** What went wrong, if a phase failed; the phases before it still count. */
  failed?: string[];
  throughput?: { rps: number; ok: number; non2xx: number; errors: number; timeouts: number; seconds: number; proxyCpuMsPer1k?: number };
  latency?: OpenLoopResult;
  /** The same at a low rate (run first): the latency floor. */
  latencyLow?: OpenLoopResult;
  /** Proxy processes of the load run, A first. */
  load?: ProxyLoad[];
  /** What the app saw during the load run: connections accepted, requests served. */
  app?: { connections: number; requests: number };
  streams: Partial<Record<StreamMode, StreamRun>>;
  loadavg: [number, number];
}

/** duplex: the app echoes while the body arrives; spool: the app answers once the whole body arrived. */
export type StreamMode = "duplex" | "spool";
export const STREAM_MODES: StreamMode[] = ["duplex", "spool"];
export const STREAM_MODE_LABELS: Record<StreamMode, string> = {
  duplex: "echoed while sent",
  spool: "echoed after the whole body arrived",
};

export interface StreamRun {
  result: StreamResult;
  /** Freshly started proxy processes: RSS before the stream and peak during it. */
  proxies: ProxyLoad[];
}

export interface Limits {
  rpsShareOfNginx: number;
  addedP99Ms: number;
  idleRssMiB: number;
  streamGrowthMiB: number;
}

export const TARGETS: Limits = { rpsShareOfNginx: 0.35, addedP99Ms: 3, idleRssMiB: 80, streamGrowthMiB: 64 };

const f = (n: number | undefined, digits = 1) =>
  n === undefined || Number.isNaN(n) ? "—" : n === Number.POSITIVE_INFINITY ? "∞" : n.toFixed(digits);
const int = (n: number | undefined) => (n === undefined || Number.isNaN(n) ? "—" : Math.round(n).toLocaleString("en-US"));
const perProxy = (ps: ProxyLoad[] | undefined, pick: (p: ProxyLoad) => number) =>
  !ps || ps.length === 0 ? "—" : ps.map((p) => `${p.label.split(" ").pop()} ${f(mib(pick(p)))}`).join(" · ");

export function loadTable(results: SetupResult[], rate: number, lowRate: number): string {
  const rows = results.map((r) => {
    if (r.skipped) return `| ${r.label} | ${r.skipped} | | | | | | | | | |`;
    const t = r.throughput;
    const l = r.latency;
    const low = r.latencyLow;
    return [
      r.label,
      int(t?.rps),
      t ? `${t.non2xx + t.errors}` : "—",
      low ? `${f(low.p50, 2)} / ${f(low.p99, 2)}${low.errors + low.unfinished > 0 ? ` (${low.errors + low.unfinished} failed)` : ""}` : "—",
      f(l?.p50, 2),
      f(l?.p90, 2),
      f(l?.p99, 2),
      f(l?.max, 1),
      l ? `${l.errors} / ${l.unfinished}` : "—",
      f(t?.proxyCpuMsPer1k, 0),
      r.app ? `${int(r.app.connections)} / ${int(r.app.requests)}` : "—",
    ].join(" | ");
  });
  return [
    `| setup | req/s (64 conns) | errors | p50 / p99 ms @${lowRate}/s | p50 ms @${rate}/s | p90 ms | p99 ms | max ms | errors / unfinished @${rate}/s | proxies' CPU ms per 1k req | app saw: connections / requests |`,
    "|---|---:|---:|---:|---:|---:|---:|---:|---|---:|---|",
    ...rows.map((r) => (r.startsWith("|") ? r : `| ${r} |`)),
  ].join("\n");
}

export function memoryTable(results: SetupResult[]): string {
  const rows = results.map((r) =>
    r.skipped
      ? `| ${r.label} | ${r.skipped} | |`
      : `| ${r.label} | ${perProxy(r.load, (p) => p.idleRss)} | ${perProxy(r.load, (p) => p.peakRss)} |`,
  );
  return ["| setup | idle RSS MiB | peak RSS under load MiB |", "|---|---|---|", ...rows].join("\n");
}

export function streamTable(results: SetupResult[], streamBytes: number): string {
  const size = `${f(mib(streamBytes), 0)} MiB`;
  const rows: string[] = [];
  for (const r of results) {
    if (r.skipped) {
      rows.push(`| ${r.label} | | ${r.skipped} | | | | |`);
      continue;
    }
    for (const mode of STREAM_MODES) {
      const s = r.streams[mode];
      const check = !s
        ? "not run"
        : s.result.ok
          ? `ok ${s.result.sentDigest.slice(0, 8)}`
          : `**FAILED**: ${s.result.error ?? `digest ${s.result.receivedDigest.slice(0, 8)} ≠ ${s.result.sentDigest.slice(0, 8)}`}`;
      rows.push(
        `| ${[
          r.label,
          STREAM_MODE_LABELS[mode],
          s ? perProxy(s.proxies, (p) => p.idleRss) : "—",
          s?.result.ok ? f(s.result.seconds, 2) : "—",
          s?.result.ok ? f(mib(streamBytes) / s.result.seconds, 0) : "—",
          s ? perProxy(s.proxies, (p) => p.peakRss - p.idleRss) : "—",
          check,
        ].join(" | ")} |`,
      );
    }
  }
  return [
    `| setup | ${size} body | RSS before MiB | s | MiB/s | RSS growth MiB (peak − before) | sha256 sent = received |`,
    "|---|---|---|---:|---:|---|---|",
    ...rows,
  ].join("\n");
}

export interface TargetLine {
  name: string;
  verdict: "PASS" | "FAIL" | "N/A";
  detail: string;
}

export function targetsCheck(results: SetupResult[], streamBytes: number, lowRate: number, t: Limits = TARGETS): TargetLine[] {
  const by = (n: SetupName) => results.find((r) => r.name === n && !r.skipped);
  const direct = by("direct");
  const nginx = by("nginx");
  const courier = by("courier");
  const lines: TargetLine[] = [];

  // 1. Throughput relative to nginx.
  {
    const name = `Courier pair ≥ ${t.rpsShareOfNginx * 100}% of nginx pair's req/s`;
    const c = courier?.throughput?.rps;
    const n = nginx?.throughput?.rps;
    if (c === undefined || n === undefined || n <= 0) {
      const why = (r: SetupResult | undefined, skipped: string | undefined, v: number | undefined) => (r ? int(v) : (skipped ?? "not run"));
      const nginxSkipped = results.find((r) => r.name === "nginx")?.skipped;
      lines.push({ name, verdict: "N/A", detail: `needs both figures (Courier pair: ${why(courier, undefined, c)}; nginx pair: ${why(nginx, nginxSkipped, n)})` });
    } else {
      const share = c / n;
      lines.push({ name, verdict: share >= t.rpsShareOfNginx ? "PASS" : "FAIL", detail: `${int(c)} / ${int(n)} req/s = ${(share * 100).toFixed(1)}%` });
    }
  }
  // 2. Added p99 latency over direct.
  {
    const name = `added p99 over direct at 1,000 req/s ≤ ${t.addedP99Ms} ms`;
    const c = courier?.latency;
    const d = direct?.latency;
    if (!c || !d || Number.isNaN(c.p99) || Number.isNaN(d.p99)) {
      lines.push({ name, verdict: "N/A", detail: "needs the direct and Courier latency runs" });
    } else {
      const added = c.p99 - d.p99;
      const clean = c.errors === 0 && c.unfinished === 0;
      const cl = courier?.latencyLow;
      const dl = direct?.latencyLow;
      const floor = cl && dl ? ` (for reference, at ${lowRate} req/s: ${f(cl.p99, 2)} − ${f(dl.p99, 2)} = +${f(cl.p99 - dl.p99, 2)} ms)` : "";
      lines.push({
        name,
        verdict: added <= t.addedP99Ms && clean ? "PASS" : "FAIL",
        detail: `Courier p99 ${f(c.p99, 2)} ms − direct p99 ${f(d.p99, 2)} ms = ${added >= 0 ? "+" : ""}${f(added, 2)} ms${clean ? "" : `; ${c.errors} errors, ${c.unfinished} unfinished`}${floor}`,
      });
    }
  }
  // 3. Idle RSS per Courier.
  {
    const name = `idle RSS ≤ ${t.idleRssMiB} MiB per Courier`;
    const load = courier?.load;
    if (!load || load.length === 0) lines.push({ name, verdict: "N/A", detail: "Courier pair not measured" });
    else {
      const worst = Math.max(...load.map((p) => mib(p.idleRss)));
      lines.push({ name, verdict: worst <= t.idleRssMiB ? "PASS" : "FAIL", detail: load.map((p) => `${p.label} ${f(mib(p.idleRss))} MiB`).join(", ") });
    }
  }
  // 4. Stream.
  {
    const name = `${f(mib(streamBytes), 0)} MiB stream (${STREAM_MODE_LABELS.duplex}) passes with ≤ ${t.streamGrowthMiB} MiB RSS growth per Courier`;
    const s = courier?.streams.duplex;
    if (!s) lines.push({ name, verdict: "N/A", detail: "stream not run" });
    else {
      const worst = Math.max(...s.proxies.map((p) => mib(p.peakRss - p.idleRss)));
      const growth = s.proxies.map((p) => `${p.label} +${f(mib(p.peakRss - p.idleRss))} MiB`).join(", ");
      lines.push({
        name,
        verdict: s.result.ok && worst <= t.streamGrowthMiB ? "PASS" : "FAIL",
        detail: `${s.result.ok ? `digest ok in ${f(s.result.seconds, 2)} s` : `stream FAILED (${s.result.error ?? "digest mismatch"})`}; ${growth}`,
      });
    }
  }
  return lines;
}

export function targetsMarkdown(lines: TargetLine[]): string {
  return lines.map((l) => `- **${l.verdict}** ${l.name}: ${l.detail}`).join("\n");
}

export const BLOCK_START = "<!-- bench:start -->";
export const BLOCK_END = "<!-- bench:end -->";

/** Replaces the generated block of RESULTS.md (creating the file with a commentary section if needed). */
export function writeResultsBlock(file: string, block: string): void {
  const generated = `${BLOCK_START}\n${block.trim()}\n${BLOCK_END}`;
  if (!existsSync(file)) {
    writeFileSync(
      file,
      `# Courier bench: direct vs nginx pair vs Courier pair\n\nGenerated by \`npm run bench\` (tools/bench/src/main.ts) between the markers; the rest is hand-written.\n\n${generated}\n\n## Commentary\n\n(none yet)\n`,
    );
    return;
  }
  const text = readFileSync(file, "utf8");
  const a = text.indexOf(BLOCK_START);
  const b = text.indexOf(BLOCK_END);
  if (a < 0 || b < a) writeFileSync(file, `${text.trimEnd()}\n\n${generated}\n`);
  else writeFileSync(file, `${text.slice(0, a)}${generated}${text.slice(b + BLOCK_END.length)}`);
}
