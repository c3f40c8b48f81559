import type { AttemptContext } from "./policy.js";

// Contexts made by policies that do not count attempts (timeout, and later the breaker).
// Their `attempt` is only a placeholder, so wrap() keeps the outer policy's attempt for them:
// in wrap(retry, timeout) the function must see the retry's attempt, not the timeout's 0.
const placeholders = new WeakSet<AttemptContext>();

/** The context a non-retrying policy hands to its function. */
export function singleAttemptContext(signal: AbortSignal): AttemptContext {
  const ctx: AttemptContext = { attempt: 0, signal };
  placeholders.add(ctx);
  return ctx;
}

/**
 * Combine the context an outer policy gave with the one the next inner policy gave. The
 * inner signal always wins (it is derived from the outer one); the inner attempt wins unless
 * it is a placeholder.
 */
export function mergeContexts(outer: AttemptContext, inner: AttemptContext): AttemptContext {
  if (!placeholders.has(inner)) return inner;
  const merged: AttemptContext = { attempt: outer.attempt, signal: inner.signal };
  if (placeholders.has(outer)) placeholders.add(merged);
  return merged;
}
