/**
 * The power knobs every simulated device shares, native or firmware: `reboot` and
 * `power_cut`.
 *
 * @module
 */

import type { TimerId, VirtualClock } from "./clock.ts";

/** What the power knobs act on. */
export interface Powered {
  /** Whether the device has power. */
  readonly powered: boolean;
  /** Cuts power. */
  powerOff(): void;
  /** Powers up. */
  start(): void;
}

/** Applies `reboot` and `power_cut` to a device and owns the timer that ends a cut. */
export class PowerKnobs {
  #clock: VirtualClock;
  #device: Powered;
  #powerBack: TimerId | null = null;

  /**
   * Binds the knobs to a device.
   *
   * @param clock The simulation clock.
   * @param device The device.
   */
  constructor(clock: VirtualClock, device: Powered) {
    this.#clock = clock;
    this.#device = device;
  }

  /** Cancels a pending power-up (a stopped device stays off). */
  cancel(): void {
    if (this.#powerBack !== null) this.#clock.clearTimer(this.#powerBack);
    this.#powerBack = null;
  }

  /**
   * Applies a power knob.
   *
   * @param name Knob name.
   * @param payload Its value.
   * @returns An error text, `null` when applied, `undefined` when `name` is no power knob.
   * @example
   * ```ts
   * import { VirtualClock } from "./clock.ts";
   * import { PowerKnobs } from "./power_knobs.ts";
   * import assert from "node:assert/strict";
   * const clock = new VirtualClock();
   * const device = { powered: true, powerOff() { this.powered = false; }, start() { this.powered = true; } };
   * const knobs = new PowerKnobs(clock, device);
   * assert.equal(knobs.apply("power_cut", "5"), null);
   * assert.equal(device.powered, false);
   * clock.advanceBy(5000);
   * assert.equal(device.powered, true);
   * assert.equal(knobs.apply("load", "1"), undefined);
   * ```
   */
  apply(name: string, payload: string): string | null | undefined {
    const device = this.#device;
    if (name === "reboot") {
      // A device without power cannot reboot; rebooting must not end a power cut early.
      if (!device.powered) return "the device has no power";
      device.powerOff();
      device.start();
      return null;
    }
    if (name !== "power_cut") return undefined;
    const seconds = payload.trim() === "" ? 10 : Number(payload);
    if (!(seconds >= 0 && seconds <= 86400)) return "power_cut takes 0..86400 seconds";
    device.powerOff();
    // During a cut the latest knob says when power comes back (0: now), not the first.
    this.cancel();
    this.#powerBack = this.#clock.setTimer(() => {
      this.#powerBack = null;
      device.start();
    }, seconds * 1000);
    return null;
  }
}
