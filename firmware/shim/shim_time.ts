/**
 * Time inside the Espruino shim: `getTime()` and the timers run on the simulator's
 * virtual clock, so the simulator's clock drives the firmware.
 *
 * Work inside one callback takes no virtual time, except reading the ADC: each
 * `analogRead` costs {@linkcode ADC_READ_S}, visible to `getTime()` until the callback
 * returns (the next callback starts at the clock's time again). That is what lets the
 * firmware's burst sampler measure its sample rate, as it does on the chip. The read
 * cost is a power of two so that sums of it are exact in floating point, and `getTime()`
 * is biased by a microsecond so that `Math.floor(getTime() * 1000)` gives the clock's
 * millisecond exactly (without the bias, `1767225600123 / 1000 * 1000` can come out a
 * hair below and floor to the millisecond before; the rounding error is under 0.5 µs
 * for any date this century, and the bias too small to reach the next millisecond).
 *
 * @module
 */

/** The clock the shim runs on: {@linkcode VirtualClock} of `sim/clock.ts` fits. */
export interface ShimClock {
  /** Virtual time in ms. */
  nowMs(): number;
  /** Runs `callback` once after `delayMs`. */
  setTimer(callback: () => void, delayMs: number): number;
  /** Runs `callback` every `periodMs`. */
  every(periodMs: number, callback: () => void): number;
  /** Cancels a timer. */
  clearTimer(id: number): void;
}

/** Virtual seconds one `analogRead` takes: 2^-11 s, 2048 samples per second. */
export const ADC_READ_S = 1 / 2048;

/**
 * The processor's view of time: the virtual clock plus the time spent in the current
 * callback (see the module doc).
 *
 * @example
 * ```ts
 * import { ADC_READ_S, CpuClock } from "./shim_time.ts";
 * import assert from "node:assert/strict";
 * const cpu = new CpuClock({ nowMs: () => 1767225600123 });
 * assert.equal(Math.floor(cpu.nowS() * 1000), 1767225600123);
 * cpu.run(() => {
 *   const start = cpu.nowS();
 *   for (let n = 0; n < 100; n++) cpu.spend(ADC_READ_S);
 *   assert.equal(100 / (cpu.nowS() - start), 2048);
 * });
 * assert.equal(cpu.nowMs(), 1767225600171); // 100 reads: 48.8 ms later
 * ```
 */
export class CpuClock {
  #clock: { nowMs(): number };
  #spentS = 0;

  /**
   * Makes a processor clock.
   *
   * @param clock The virtual clock.
   */
  constructor(clock: { nowMs(): number }) {
    this.#clock = clock;
  }

  /**
   * The time `getTime()` reports.
   *
   * @returns Seconds: the clock's time plus the time spent in this callback.
   */
  nowS(): number {
    return (this.#clock.nowMs() + 0.001) / 1000 + this.#spentS;
  }

  /**
   * The time in whole ms, as the firmware computes it from `getTime()`.
   *
   * @returns `Math.floor(nowS() * 1000)`.
   */
  nowMs(): number {
    return Math.floor(this.nowS() * 1000);
  }

  /**
   * Accounts for work that takes time (an ADC read).
   *
   * @param seconds Time spent.
   */
  spend(seconds: number): void {
    this.#spentS += seconds;
  }

  /**
   * Runs one callback: time spent starts from zero.
   *
   * @param callback The callback.
   * @returns What it returns.
   */
  run<T>(callback: () => T): T {
    this.#spentS = 0;
    return callback();
  }
}

/** Espruino's timer functions, as the shim gives them to a bundle. */
export interface EspruinoTimers {
  /** One-shot timer; returns its id. */
  setTimeout(callback: unknown, ms?: unknown, ...args: unknown[]): number;
  /** Repeating timer; returns its id. */
  setInterval(callback: unknown, ms?: unknown, ...args: unknown[]): number;
  /** Cancels a timer; with no id, every timer (as on Espruino). */
  clearTimeout(id?: unknown): void;
  /** Same as `clearTimeout`. */
  clearInterval(id?: unknown): void;
  /** Changes a repeating timer's period. */
  changeInterval(id: unknown, ms: unknown): void;
}

interface Entry {
  clockId: number;
  run: () => void;
  periodMs: number;
}

/**
 * The firmware's timers on the virtual clock. Each callback runs through `invoke`
 * (which resets the processor clock and catches errors, see `shim.ts`); ids are small
 * integers, as on Espruino.
 *
 * @example
 * ```ts
 * import { ShimTimers } from "./shim_time.ts";
 * import { VirtualClock } from "../../sim/clock.ts";
 * import assert from "node:assert/strict";
 * const clock = new VirtualClock();
 * const timers = new ShimTimers(clock, (run) => run());
 * const api = timers.api();
 * const seen: number[] = [];
 * const id = api.setInterval(() => seen.push(clock.nowMs()), 10);
 * api.setTimeout(() => api.clearInterval(id), 25);
 * clock.advanceTo(100);
 * assert.deepEqual(seen, [10, 20]);
 * ```
 */
export class ShimTimers {
  #clock: ShimClock;
  #invoke: (run: () => void) => void;
  #entries: Record<number, Entry> = {};
  #nextId = 1;
  // Ids of armed zero-delay timeouts, oldest first (see `runZeroDelay`).
  #zero: number[] = [];

  /**
   * Makes the timers.
   *
   * @param clock The virtual clock.
   * @param invoke Runs one callback the way the shim runs every callback.
   */
  constructor(clock: ShimClock, invoke: (run: () => void) => void) {
    this.#clock = clock;
    this.#invoke = invoke;
  }

  /**
   * How many timers are armed.
   *
   * @returns The count.
   */
  count(): number {
    return Object.keys(this.#entries).length;
  }

  /**
   * Runs the armed zero-delay timeouts now, oldest first, and those they arm, as Espruino
   * runs them before anything else happens (the firmware defers work to them).
   *
   * @returns How many ran.
   * @throws When more than 10,000 run (a zero-delay loop).
   * @example
   * ```ts
   * import { ShimTimers } from "./shim_time.ts";
   * import { VirtualClock } from "../../sim/clock.ts";
   * import assert from "node:assert/strict";
   * const timers = new ShimTimers(new VirtualClock(), (run) => run());
   * const api = timers.api();
   * const seen: string[] = [];
   * api.setTimeout(() => {
   *   seen.push("a");
   *   api.setTimeout(() => seen.push("b"), 0);
   * }, 0);
   * api.setTimeout(() => seen.push("later"), 5);
   * assert.equal(timers.runZeroDelay(), 2);
   * assert.deepEqual(seen, ["a", "b"]);
   * ```
   */
  runZeroDelay(): number {
    let ran = 0;
    while (this.#zero.length > 0) {
      const id = this.#zero[0] as number;
      const entry = this.#entries[id];
      if (entry === undefined) {
        this.#zero.shift();
        continue;
      }
      this.#clock.clearTimer(entry.clockId);
      entry.run();
      ran += 1;
      if (ran > 10000) throw new Error("more than 10000 zero-delay timeouts: a loop?");
    }
    return ran;
  }

  /** Cancels every timer (power off). */
  clearAll(): void {
    for (const key of Object.keys(this.#entries)) this.#clear(Number(key));
  }

  /**
   * The functions a bundle calls.
   *
   * @returns `setTimeout`, `setInterval`, `clearTimeout`, `clearInterval`, `changeInterval`.
   */
  api(): EspruinoTimers {
    const clearOne = (id?: unknown): void => {
      if (id === undefined) this.clearAll();
      else if (typeof id === "number") this.#clear(id);
    };
    return {
      setTimeout: (callback, ms, ...args) => this.#add(callback, ms, args, false),
      setInterval: (callback, ms, ...args) => this.#add(callback, ms, args, true),
      clearTimeout: clearOne,
      clearInterval: clearOne,
      changeInterval: (id, ms) => {
        const entry = typeof id === "number" ? this.#entries[id] : undefined;
        if (entry === undefined || entry.periodMs === 0) return;
        this.#clock.clearTimer(entry.clockId);
        entry.periodMs = periodOf(ms);
        entry.clockId = this.#clock.every(entry.periodMs, entry.run);
      },
    };
  }

  #add(callback: unknown, ms: unknown, args: unknown[], repeat: boolean): number {
    if (typeof callback !== "function") {
      throw new TypeError("the shim's timers take a function, not " + typeof callback);
    }
    const id = this.#nextId++;
    const periodMs = repeat ? periodOf(ms) : 0;
    const run = (): void => {
      if (!repeat) {
        delete this.#entries[id];
        const at = this.#zero.indexOf(id);
        if (at >= 0) this.#zero.splice(at, 1);
      }
      this.#invoke(() => callback(...args));
    };
    const delay = typeof ms === "number" && ms > 0 ? ms : 0;
    if (!repeat && delay === 0) this.#zero.push(id);
    const clockId = repeat ? this.#clock.every(periodMs, run) : this.#clock.setTimer(run, delay);
    this.#entries[id] = { clockId, run, periodMs };
    return id;
  }

  #clear(id: number): void {
    const entry = this.#entries[id];
    if (entry === undefined) return;
    this.#clock.clearTimer(entry.clockId);
    delete this.#entries[id];
    const at = this.#zero.indexOf(id);
    if (at >= 0) this.#zero.splice(at, 1);
  }
}

/** A repeating timer needs a period above 0 (Espruino would spin; the shim takes 1 ms). */
const periodOf = (ms: unknown): number => (typeof ms === "number" && ms >= 1 ? ms : 1);
