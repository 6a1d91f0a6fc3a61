/**
 * A virtual clock for the simulator: virtual milliseconds, timers fired strictly in deadline
 * order (ties in scheduling order), and two drivers — real time at N x speed
 * ({@linkcode startRealtime}) and as fast as possible ({@linkcode VirtualClock.runFast}).
 *
 * Nothing here reads the wall clock except the drivers, so a simulation advanced by hand is
 * fully deterministic: the same schedule always fires in the same order at the same times.
 *
 * @module
 */

import type { Clock } from "../lib/ports.ts";

export type { Clock };

/** Identifies a timer made by {@linkcode VirtualClock.setTimer} or {@linkcode VirtualClock.every}. */
export type TimerId = number;

/** Options of a {@linkcode VirtualClock}. */
export interface VirtualClockOptions {
  /** Virtual time at creation, in ms (default 0). */
  startMs?: number;
  /**
   * Called when a timer callback throws; the other timers keep running. Without it the error
   * propagates out of the advancing call, with the clock left consistent (the throwing timer is
   * spent, a periodic one stays armed).
   */
  onError?: (error: unknown, id: TimerId) => void;
  /** Most timers one advancing call may fire, to catch zero-delay loops (default 10 000 000). */
  maxFiresPerCall?: number;
}

/** Options of {@linkcode VirtualClock.runFast}. */
export interface RunFastOptions {
  /** Yield to the event loop after this many fired timers (default 100). */
  yieldEveryTimers?: number;
  /**
   * Yield before virtual time moves more than this past the last yield (default 1000 ms), so a
   * message sent over a real socket arrives within about that much virtual time. An empty
   * stretch of time costs one yield, however long.
   */
  yieldEveryVirtualMs?: number;
  /**
   * How to yield (default: one `setTimeout(0)`, about 1 to 2 ms of wall time in Deno, which
   * lets loopback MQTT traffic through; `setImmediate` does not reliably poll sockets).
   */
  settle?: () => Promise<void>;
  /** Stops the run early (the promise still resolves, with the count so far). */
  signal?: AbortSignal;
}

/** A running real-time driver, see {@linkcode startRealtime}. */
export interface RealtimeHandle {
  /** Virtual ms per wall ms. */
  readonly speed: number;
  /** Changes the speed from now on, without a jump in virtual time. */
  setSpeed(speed: number): void;
  /** Virtual ms given up so far because the process fell behind (see `maxLagMs`). */
  readonly slippedMs: number;
  /** Stops driving the clock (idempotent). */
  stop(): void;
}

/** Options of {@linkcode startRealtime}. */
export interface RealtimeOptions {
  /** Wall-clock period of the driver in ms (default 50). */
  tickMs?: number;
  /** Wall clock in ms (default `performance.now`); tests may pass a fake one. */
  wallNowMs?: () => number;
  /** Called when advancing throws (default: `console.error`); the driver keeps running. */
  onError?: (error: unknown) => void;
  /**
   * Most wall ms one tick catches up (default 1000). A process that falls further behind
   * (overloaded, or paused) lets virtual time slip instead of firing an ever larger burst
   * of timers that would put it further behind still.
   */
  maxLagMs?: number;
}

interface TimerEntry {
  id: TimerId;
  deadlineMs: number;
  seq: number;
  periodMs: number;
  callback: () => void;
}

const before = (a: TimerEntry, b: TimerEntry): boolean =>
  a.deadlineMs < b.deadlineMs || (a.deadlineMs === b.deadlineMs && a.seq < b.seq);

const macrotask = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 0));

/**
 * A manually advanced clock implementing the `Clock` port, with one-shot and periodic timers.
 *
 * @example
 * ```ts
 * import { VirtualClock } from "./clock.ts";
 * import assert from "node:assert/strict";
 * const clock = new VirtualClock();
 * const fired: string[] = [];
 * clock.setTimer(() => fired.push("b"), 20);
 * clock.setTimer(() => fired.push("a"), 10);
 * clock.advanceBy(15);
 * assert.deepEqual(fired, ["a"]);
 * assert.equal(clock.nowMs(), 15);
 * ```
 */
export class VirtualClock implements Clock {
  #now: number;
  #heap: TimerEntry[] = [];
  #live = new Map<TimerId, TimerEntry>();
  #nextId = 1;
  #nextSeq = 0;
  #onError: ((error: unknown, id: TimerId) => void) | undefined;
  #maxFires: number;

  /**
   * Creates a clock.
   *
   * @param options Start time, error handler, loop guard.
   */
  constructor(options: VirtualClockOptions = {}) {
    this.#now = options.startMs ?? 0;
    this.#onError = options.onError;
    this.#maxFires = options.maxFiresPerCall ?? 10_000_000;
  }

  /**
   * Returns the current virtual time.
   *
   * @returns Milliseconds since the clock's origin.
   * @example
   * ```ts
   * import { VirtualClock } from "./clock.ts";
   * import assert from "node:assert/strict";
   * assert.equal(new VirtualClock({ startMs: 5 }).nowMs(), 5);
   * ```
   */
  nowMs(): number {
    return this.#now;
  }

  /**
   * Schedules `callback` once, `delayMs` from now (negative or NaN delays count as 0).
   *
   * @param callback Runs when the deadline is reached.
   * @param delayMs Delay in virtual ms.
   * @returns The timer's id, for {@linkcode VirtualClock.clearTimer}.
   * @example
   * ```ts
   * import { VirtualClock } from "./clock.ts";
   * import assert from "node:assert/strict";
   * const clock = new VirtualClock();
   * let at = -1;
   * clock.setTimer(() => at = clock.nowMs(), 30);
   * clock.advanceTo(100);
   * assert.equal(at, 30);
   * ```
   */
  setTimer(callback: () => void, delayMs: number): TimerId {
    const delay = delayMs > 0 ? delayMs : 0;
    return this.#add(callback, this.#now + delay, 0);
  }

  /**
   * Schedules `callback` every `periodMs`, first at now + `periodMs`. Deadlines stay on the
   * grid (no drift), whatever the callback does.
   *
   * @param periodMs Period in virtual ms; must be a finite number above 0.
   * @param callback Runs at each period.
   * @returns The timer's id, for {@linkcode VirtualClock.clearTimer}.
   * @throws {RangeError} When `periodMs` is not a finite number above 0.
   * @example
   * ```ts
   * import { VirtualClock } from "./clock.ts";
   * import assert from "node:assert/strict";
   * const clock = new VirtualClock();
   * const times: number[] = [];
   * const id = clock.every(10, () => times.push(clock.nowMs()));
   * clock.advanceTo(35);
   * clock.clearTimer(id);
   * clock.advanceTo(100);
   * assert.deepEqual(times, [10, 20, 30]);
   * ```
   */
  every(periodMs: number, callback: () => void): TimerId {
    if (!(periodMs > 0) || !Number.isFinite(periodMs)) {
      throw new RangeError(`periodMs must be a finite number above 0, got ${periodMs}`);
    }
    return this.#add(callback, this.#now + periodMs, periodMs);
  }

  /**
   * Cancels a timer; unknown or spent ids are ignored. A periodic timer may cancel itself from
   * its own callback.
   *
   * @param id The timer to cancel.
   * @example
   * ```ts
   * import { VirtualClock } from "./clock.ts";
   * import assert from "node:assert/strict";
   * const clock = new VirtualClock();
   * const id = clock.setTimer(() => assert.fail("cleared timer fired"), 10);
   * clock.clearTimer(id);
   * assert.equal(clock.advanceBy(20), 0);
   * ```
   */
  clearTimer(id: TimerId): void {
    // Lazy deletion: the heap entry stays until it reaches the top and is then skipped.
    this.#live.delete(id);
  }

  /**
   * Counts the armed timers.
   *
   * @returns How many timers are still to fire (a periodic timer counts once).
   * @example
   * ```ts
   * import { VirtualClock } from "./clock.ts";
   * import assert from "node:assert/strict";
   * const clock = new VirtualClock();
   * clock.setTimer(() => {}, 1);
   * assert.equal(clock.pendingCount(), 1);
   * ```
   */
  pendingCount(): number {
    return this.#live.size;
  }

  /**
   * Returns the deadline of the next timer to fire.
   *
   * @returns Virtual ms, or `null` when no timer is armed.
   * @example
   * ```ts
   * import { VirtualClock } from "./clock.ts";
   * import assert from "node:assert/strict";
   * const clock = new VirtualClock();
   * assert.equal(clock.nextDeadlineMs(), null);
   * clock.setTimer(() => {}, 7);
   * assert.equal(clock.nextDeadlineMs(), 7);
   * ```
   */
  nextDeadlineMs(): number | null {
    const top = this.#peek();
    return top === undefined ? null : top.deadlineMs;
  }

  /**
   * Moves time forward to `targetMs`, firing every timer due by then in deadline order,
   * including timers that callbacks schedule on the way. A target in the past does nothing.
   *
   * @param targetMs Virtual time to reach.
   * @returns How many callbacks ran.
   * @throws {RangeError} When `targetMs` is NaN.
   * @example
   * ```ts
   * import { VirtualClock } from "./clock.ts";
   * import assert from "node:assert/strict";
   * const clock = new VirtualClock();
   * const order: number[] = [];
   * clock.setTimer(() => {
   *   order.push(1);
   *   clock.setTimer(() => order.push(3), 0); // due now: still fires in this advance
   * }, 10);
   * clock.setTimer(() => order.push(2), 10);
   * assert.equal(clock.advanceTo(10), 3);
   * assert.deepEqual(order, [1, 2, 3]);
   * ```
   */
  advanceTo(targetMs: number): number {
    if (Number.isNaN(targetMs)) throw new RangeError("targetMs is NaN");
    let fired = 0;
    for (;;) {
      const top = this.#peek();
      if (top === undefined || top.deadlineMs > targetMs) break;
      this.#fire(top);
      fired += 1;
      if (fired >= this.#maxFires) {
        throw new Error(`more than ${this.#maxFires} timers fired in one call: a zero-delay loop?`);
      }
    }
    if (targetMs > this.#now) this.#now = targetMs;
    return fired;
  }

  /**
   * Moves time forward by `deltaMs`, see {@linkcode VirtualClock.advanceTo}.
   *
   * @param deltaMs Virtual ms to add (negative does nothing).
   * @returns How many callbacks ran.
   * @example
   * ```ts
   * import { VirtualClock } from "./clock.ts";
   * import assert from "node:assert/strict";
   * const clock = new VirtualClock({ startMs: 100 });
   * clock.advanceBy(50);
   * assert.equal(clock.nowMs(), 150);
   * ```
   */
  advanceBy(deltaMs: number): number {
    return this.advanceTo(this.#now + deltaMs);
  }

  /**
   * Fires timers until none is armed or the next one is due more than `limitMs` after the
   * call started. Time stops at the last fired deadline (not at the limit), so with only
   * one-shot timers this ends exactly when the simulation goes quiet.
   *
   * @param limitMs Most virtual ms to run; bounds runs that never go idle (periodic timers).
   * @returns How many callbacks ran.
   * @example
   * ```ts
   * import { VirtualClock } from "./clock.ts";
   * import assert from "node:assert/strict";
   * const clock = new VirtualClock();
   * clock.setTimer(() => clock.setTimer(() => {}, 500), 100);
   * assert.equal(clock.runUntilIdle(10_000), 2);
   * assert.equal(clock.nowMs(), 600);
   * ```
   */
  runUntilIdle(limitMs: number): number {
    const endMs = this.#now + limitMs;
    let fired = 0;
    for (;;) {
      const top = this.#peek();
      if (top === undefined || top.deadlineMs > endMs) return fired;
      this.#fire(top);
      fired += 1;
      if (fired >= this.#maxFires) {
        throw new Error(`more than ${this.#maxFires} timers fired in one call: a zero-delay loop?`);
      }
    }
  }

  /**
   * Runs as fast as possible up to `untilMs`, jumping from deadline to deadline and yielding
   * to the event loop now and then so real network I/O (the MQTT broker) keeps flowing.
   * Each yield costs about 2 ms of wall time in Deno, so with the defaults a busy simulation
   * runs at most ~500x real time; raise `yieldEveryVirtualMs` or pass a `settle` that knows
   * when the network is quiet to go faster. Don't run it while {@linkcode startRealtime}
   * drives the same clock.
   *
   * @param untilMs Virtual time to reach.
   * @param onProgress Called with the virtual time at each yield and at the end.
   * @param options Yield policy and abort signal.
   * @returns How many callbacks ran.
   * @example
   * ```ts
   * import { VirtualClock } from "./clock.ts";
   * import assert from "node:assert/strict";
   * const clock = new VirtualClock();
   * let ticks = 0;
   * clock.every(1000, () => ticks++);
   * // Yield to sockets once per virtual minute: an hour takes ~60 event-loop turns.
   * await clock.runFast(3_600_000, undefined, { yieldEveryVirtualMs: 60_000 });
   * assert.equal(ticks, 3600);
   * assert.equal(clock.nowMs(), 3_600_000);
   * ```
   */
  async runFast(
    untilMs: number,
    onProgress?: (nowMs: number) => void,
    options: RunFastOptions = {},
  ): Promise<number> {
    const yieldEveryTimers = options.yieldEveryTimers ?? 100;
    const yieldEveryVirtualMs = options.yieldEveryVirtualMs ?? 1000;
    const settle = options.settle ?? macrotask;
    let fired = 0;
    let sinceYield = 0;
    let lastYieldMs = -Infinity; // yield first: messages may be in flight already
    const pause = async (): Promise<void> => {
      onProgress?.(this.#now);
      await settle();
      sinceYield = 0;
      lastYieldMs = this.#now;
    };
    while (!options.signal?.aborted) {
      const next = this.nextDeadlineMs();
      const target = next === null || next > untilMs ? untilMs : next;
      const yieldedHere = lastYieldMs === this.#now && sinceYield === 0;
      if (target > lastYieldMs + yieldEveryVirtualMs && !yieldedHere) {
        // Let sockets deliver what is in flight before time jumps; an empty stretch is then
        // crossed in one step (the loop re-reads the deadline: I/O may have added timers).
        await pause();
        continue;
      }
      const count = this.advanceTo(target);
      fired += count;
      sinceYield += count;
      if (target >= untilMs) break;
      if (sinceYield >= yieldEveryTimers) await pause();
    }
    onProgress?.(this.#now);
    return fired;
  }

  #add(callback: () => void, deadlineMs: number, periodMs: number): TimerId {
    const id = this.#nextId++;
    const entry: TimerEntry = { id, deadlineMs, seq: this.#nextSeq++, periodMs, callback };
    this.#live.set(id, entry);
    this.#push(entry);
    return id;
  }

  #fire(entry: TimerEntry): void {
    this.#pop();
    this.#now = entry.deadlineMs;
    if (entry.periodMs > 0) {
      // Re-arm before the call so a throwing callback keeps its period and may still clear itself.
      const next: TimerEntry = {
        id: entry.id,
        deadlineMs: entry.deadlineMs + entry.periodMs,
        seq: this.#nextSeq++,
        periodMs: entry.periodMs,
        callback: entry.callback,
      };
      this.#live.set(entry.id, next);
      this.#push(next);
    } else {
      this.#live.delete(entry.id);
    }
    try {
      entry.callback();
    } catch (error) {
      if (this.#onError === undefined) throw error;
      this.#onError(error, entry.id);
    }
  }

  /** Top live entry, discarding cleared or superseded ones. */
  #peek(): TimerEntry | undefined {
    for (;;) {
      const top = this.#heap[0];
      if (top === undefined || this.#live.get(top.id) === top) return top;
      this.#pop();
    }
  }

  #push(entry: TimerEntry): void {
    const heap = this.#heap;
    heap.push(entry);
    let i = heap.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      const p = heap[parent]!;
      if (!before(entry, p)) break;
      heap[i] = p;
      i = parent;
    }
    heap[i] = entry;
  }

  #pop(): void {
    const heap = this.#heap;
    const last = heap.pop();
    if (last === undefined || heap.length === 0) return;
    let i = 0;
    for (;;) {
      const left = 2 * i + 1;
      if (left >= heap.length) break;
      const right = left + 1;
      let child = left;
      if (right < heap.length && before(heap[right]!, heap[left]!)) child = right;
      if (!before(heap[child]!, last)) break;
      heap[i] = heap[child]!;
      i = child;
    }
    heap[i] = last;
  }
}

/**
 * Drives a clock from the wall clock: virtual time = start + elapsed wall time x `speed`,
 * advanced every `tickMs` of wall time with a real interval timer.
 *
 * @param clock The clock to drive.
 * @param speed Virtual ms per wall ms (1 = real time, 60 = a minute per second); above 0.
 * @param options Tick period, wall clock source, error handler.
 * @returns A handle to change the speed or stop.
 * @throws {RangeError} When `speed` is not a finite number above 0.
 * @example
 * ```ts
 * import { startRealtime, VirtualClock } from "./clock.ts";
 * import assert from "node:assert/strict";
 * const clock = new VirtualClock();
 * const driver = startRealtime(clock, 100, { tickMs: 5 });
 * await new Promise((resolve) => setTimeout(resolve, 30));
 * driver.stop();
 * assert.ok(clock.nowMs() >= 1000); // ~30 ms of wall time x 100
 * ```
 */
export function startRealtime(
  clock: VirtualClock,
  speed: number,
  options: RealtimeOptions = {},
): RealtimeHandle {
  const checkSpeed = (value: number): number => {
    if (!(value > 0) || !Number.isFinite(value)) {
      throw new RangeError(`speed must be a finite number above 0, got ${value}`);
    }
    return value;
  };
  const wallNowMs = options.wallNowMs ?? (() => performance.now());
  const onError = options.onError ?? ((error: unknown) => console.error(error));
  let currentSpeed = checkSpeed(speed);
  let anchorWallMs = wallNowMs();
  let anchorVirtualMs = clock.nowMs();
  let slippedMs = 0;
  const maxLagMs = options.maxLagMs ?? 1000;
  const tick = (): void => {
    const targetMs = anchorVirtualMs + (wallNowMs() - anchorWallMs) * currentSpeed;
    const limitMs = clock.nowMs() + maxLagMs * currentSpeed;
    if (targetMs > limitMs) {
      slippedMs += targetMs - limitMs;
      anchorVirtualMs -= targetMs - limitMs;
    }
    try {
      clock.advanceTo(Math.min(targetMs, limitMs));
    } catch (error) {
      onError(error);
    }
  };
  let interval: ReturnType<typeof setInterval> | undefined = setInterval(
    tick,
    options.tickMs ?? 50,
  );
  return {
    get speed(): number {
      return currentSpeed;
    },
    get slippedMs(): number {
      return slippedMs;
    },
    setSpeed(value: number): void {
      checkSpeed(value);
      tick();
      anchorWallMs = wallNowMs();
      anchorVirtualMs = clock.nowMs();
      currentSpeed = value;
    },
    stop(): void {
      if (interval === undefined) return;
      clearInterval(interval);
      interval = undefined;
    },
  };
}
