import { mergeContexts, singleAttemptContext } from "./context.js";
import type { AttemptContext, Policy } from "./policy.js";

/**
 * Compose policies, outermost first: `wrap(retry, breaker, timeout).execute(fn)` is
 * retry(breaker(timeout(fn))), Dapr's order (spec §5.4) and cockatiel's convention. Each
 * policy gets the signal of the one outside it; `fn` sees the innermost signal and the
 * attempt of the innermost policy that counts attempts. With no policies, `fn` runs once.
 */
export function wrap(...policies: readonly Policy[]): Policy {
  const chain = [...policies];
  return {
    async execute<T>(fn: (ctx: AttemptContext) => Promise<T>, signal?: AbortSignal): Promise<T> {
      if (chain.length === 0) {
        signal?.throwIfAborted();
        return fn(singleAttemptContext(signal ?? new AbortController().signal));
      }
      type Step = (index: number, outer: AttemptContext | undefined, outerSignal?: AbortSignal) => Promise<T>;
      const run: Step = (index, outer, outerSignal) =>
        chain[index]!.execute((inner) => {
          const ctx = outer === undefined ? inner : mergeContexts(outer, inner);
          return index + 1 === chain.length ? fn(ctx) : run(index + 1, ctx, ctx.signal);
        }, outerSignal);
      return run(0, undefined, signal);
    },
  };
}
