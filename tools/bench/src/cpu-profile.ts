/**
 * Reads V8 `.cpuprofile` files (what `node --cpu-prof` writes) and ranks functions by self time.
 */
import { readFileSync } from "node:fs";

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
  columnNumber: number;
}

interface ProfileNode {
  id: number;
  callFrame: CallFrame;
}

export interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples?: number[];
  timeDeltas?: number[];
}

export interface SelfTimeEntry {
  /** Function name, `(anonymous)` when it has none, or V8's `(program)`, `(garbage collector)`, … */
  name: string;
  /** Where it is defined (`file:line`), shortened; empty for V8's pseudo-functions. */
  location: string;
  selfMs: number;
  /** Share of the profile's non-idle time, 0..1. */
  share: number;
}

export interface SelfTimeSummary {
  totalMs: number;
  idleMs: number;
  top: SelfTimeEntry[];
}

/** Shortens a script URL: repo-relative for our files, `node_modules/<pkg>/…` for deps, as-is for `node:`. */
export function shortLocation(url: string, line: number, root?: string): string {
  if (!url) return "";
  let u = url.startsWith("file://") ? decodeURIComponent(url.slice("file://".length)) : url;
  const nm = u.lastIndexOf("/node_modules/");
  if (nm >= 0) u = u.slice(nm + 1);
  else if (root && u.startsWith(`${root}/`)) u = u.slice(root.length + 1);
  // V8's line numbers are 0-based.
  return `${u}:${line + 1}`;
}

/**
 * Self time per function (same name and definition site merged across call paths). Each sample is
 * charged the time until the next sample (the last one: until the profile's end time).
 */
export function selfTimes(profile: CpuProfile, n: number, root?: string): SelfTimeSummary {
  const byId = new Map<number, ProfileNode>();
  for (const node of profile.nodes) byId.set(node.id, node);
  const samples = profile.samples ?? [];
  const deltas = profile.timeDeltas ?? [];
  const micros = new Map<number, number>();
  let t = profile.startTime;
  const stamps: number[] = [];
  for (let i = 0; i < samples.length; i++) {
    t += deltas[i] ?? 0;
    stamps.push(t);
  }
  for (let i = 0; i < samples.length; i++) {
    const next = i + 1 < samples.length ? stamps[i + 1]! : Math.max(profile.endTime, stamps[i]!);
    const dur = Math.max(0, next - stamps[i]!);
    micros.set(samples[i]!, (micros.get(samples[i]!) ?? 0) + dur);
  }
  const merged = new Map<string, { name: string; location: string; us: number }>();
  let idleUs = 0;
  let totalUs = 0;
  for (const [id, us] of micros) {
    const frame = byId.get(id)?.callFrame;
    const name = frame?.functionName || "(anonymous)";
    totalUs += us;
    if (name === "(idle)") {
      idleUs += us;
      continue;
    }
    const location = frame ? shortLocation(frame.url, frame.lineNumber, root) : "";
    const key = `${name}\u0000${location}`;
    const entry = merged.get(key) ?? { name, location, us: 0 };
    entry.us += us;
    merged.set(key, entry);
  }
  const busyUs = totalUs - idleUs;
  const top = [...merged.values()]
    .sort((a, b) => b.us - a.us)
    .slice(0, n)
    .map((e) => ({ name: e.name, location: e.location, selfMs: e.us / 1000, share: busyUs > 0 ? e.us / busyUs : 0 }));
  return { totalMs: totalUs / 1000, idleMs: idleUs / 1000, top };
}

export function readProfile(file: string): CpuProfile {
  return JSON.parse(readFileSync(file, "utf8")) as CpuProfile;
}


/** Which part of the stack a profile entry belongs to (for a coarse "where does the time go"). */
export function areaOf(e: Pick<SelfTimeEntry, "name" | "location">): string {
  if (e.name === "(garbage collector)") return "GC";
  if (!e.location) return "native / V8";
  const loc = e.location.replace(/:\d+$/, "");
  const nm = /^node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(loc);
  if (nm) return nm[1]!;
  const ws = /^(?:packages|apps|tools)\/([^/]+)/.exec(loc);
  if (ws) return `@courier/${ws[1]}`;
  if (loc.startsWith("node:internal/http2")) return "node http2";
  if (loc.startsWith("node:_http") || loc === "node:http") return "node http";
  if (loc.startsWith("node:internal/streams") || loc === "node:stream") return "node streams";
  if (loc === "node:net" || loc.startsWith("node:internal/stream_base") || loc.startsWith("node:internal/net")) return "node net";
  if (loc.startsWith("node:")) return `node ${loc.replace(/^node:(internal\/)?/, "")}`;
  return "other";
}

/** Self time per area, largest first, as shares of the busy time. */
export function selfTimeByArea(profile: CpuProfile, root?: string): { area: string; selfMs: number; share: number }[] {
  const all = selfTimes(profile, Number.MAX_SAFE_INTEGER, root);
  const busy = all.totalMs - all.idleMs;
  const by = new Map<string, number>();
  for (const e of all.top) by.set(areaOf(e), (by.get(areaOf(e)) ?? 0) + e.selfMs);
  return [...by.entries()].sort((a, b) => b[1] - a[1]).map(([area, selfMs]) => ({ area, selfMs, share: busy > 0 ? selfMs / busy : 0 }));
}
