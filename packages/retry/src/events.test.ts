import { describe, expect, it, vi } from "vitest";
import { Emitter } from "./events.js";

describe("Emitter", () => {
  it("calls listeners in subscription order with the event", () => {
    const emitter = new Emitter<number>();
    const seen: string[] = [];
    emitter.on((n) => seen.push(`a${n}`));
    emitter.on((n) => seen.push(`b${n}`));
    emitter.emit(1);
    expect(seen).toEqual(["a1", "b1"]);
  });

  it("finishes an emit with the listeners it started with, even if one disposes another", () => {
    const emitter = new Emitter<void>();
    const second = vi.fn();
    emitter.on(() => sub.dispose());
    const sub = emitter.on(second);
    emitter.emit();
    expect(second).toHaveBeenCalledTimes(1);
    emitter.emit();
    expect(second).toHaveBeenCalledTimes(1);
  });

  it("dispose only removes its own subscription", () => {
    const emitter = new Emitter<void>();
    const a = vi.fn();
    const b = vi.fn();
    const subA = emitter.on(a);
    emitter.on(b);
    subA.dispose();
    subA.dispose();
    emitter.emit();
    expect(a).not.toHaveBeenCalled();
    expect(b).toHaveBeenCalledTimes(1);
  });
});
