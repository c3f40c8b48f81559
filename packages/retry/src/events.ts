/** Returned by every `on…` subscription; `dispose()` unsubscribes (idempotent). */
export interface Disposable {
  dispose(): void;
}

export type Listener<E> = (event: E) => void;

/**
 * A minimal synchronous event source, one per policy event (`onRetry`, `onGiveUp`, …).
 *
 * Listeners only observe: a throwing listener must not change the outcome of the call it
 * observes, nor stop the other listeners, and must not be swallowed either. Its error is
 * rethrown from a microtask, where it surfaces as an uncaught exception like any other
 * throwing callback.
 */
export class Emitter<E> {
  // Entries, not functions, so the same function subscribed twice is two subscriptions.
  readonly #entries = new Set<{ readonly listener: Listener<E> }>();

  on(listener: Listener<E>): Disposable {
    const entry = { listener };
    this.#entries.add(entry);
    return { dispose: () => void this.#entries.delete(entry) };
  }

  emit(event: E): void {
    // Snapshot so a listener that disposes itself (or another) does not skip anyone.
    for (const { listener } of [...this.#entries]) {
      try {
        listener(event);
      } catch (error) {
        queueMicrotask(() => {
          throw error;
        });
      }
    }
  }
}
