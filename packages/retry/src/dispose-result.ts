/**
 * Release a result nobody will read: a timed-out attempt's late value (spec §5.4 "a timed-out
 * attempt's late result is disposed") — later also a losing hedge. Anything with a
 * `dispose()` or `close()` method counts as a resource (a response, a stream, a connection).
 *
 * Failures are dropped on purpose: the caller already has its answer, and there is no one
 * left to report to.
 */
export function disposeResult(value: unknown): void {
  if ((typeof value !== "object" && typeof value !== "function") || value === null) return;
  const resource = value as { dispose?: unknown; close?: unknown };
  const release = typeof resource.dispose === "function" ? resource.dispose : resource.close;
  if (typeof release !== "function") return;
  try {
    const done: unknown = release.call(value);
    if (done instanceof Promise) done.catch(() => {});
  } catch {
    // See above.
  }
}
