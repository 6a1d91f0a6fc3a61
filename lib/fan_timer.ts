/**
 * The fan's timer cycle: `onMs` running, then `offMs` resting, repeating from an anchor
 * time (the fan's boot). The cycle runs freely, so it needs no state of its own: the fan
 * controller asks where in the cycle a moment falls, and when the phase next changes.
 *
 * An `onMs` of 0 (or less, or not a number) means the cycle never runs the fan; an `offMs`
 * of 0 with a positive `onMs` means it always does.
 *
 * @module
 */

const cycleValid = (onMs: number, offMs: number): boolean =>
  onMs > 0 && offMs > 0 && isFinite(onMs + offMs);

const positionMs = (anchorMs: number, nowMs: number, cycleMs: number): number => {
  const offsetMs = (nowMs - anchorMs) % cycleMs;
  return offsetMs < 0 ? offsetMs + cycleMs : offsetMs;
};

/**
 * Tells whether the timer cycle is in its running phase at `nowMs`.
 *
 * @param anchorMs When the cycle started (its first on phase begins here).
 * @param nowMs The moment asked about.
 * @param onMs Length of the running phase.
 * @param offMs Length of the resting phase.
 * @returns `true` during the running phase.
 * @example
 * ```ts
 * import { timerCycleOn } from "./fan_timer.ts";
 * import assert from "node:assert/strict";
 * assert.equal(timerCycleOn(0, 5, 10, 50), true);
 * assert.equal(timerCycleOn(0, 10, 10, 50), false);
 * assert.equal(timerCycleOn(0, 65, 10, 50), true); // second cycle
 * ```
 */
export function timerCycleOn(
  anchorMs: number,
  nowMs: number,
  onMs: number,
  offMs: number,
): boolean {
  if (!(onMs > 0)) return false;
  if (!(offMs > 0)) return true;
  if (!cycleValid(onMs, offMs) || !isFinite(nowMs - anchorMs)) return false;
  return positionMs(anchorMs, nowMs, onMs + offMs) < onMs;
}

/**
 * Returns when the timer cycle next changes phase, strictly after `nowMs`.
 *
 * @param anchorMs When the cycle started.
 * @param nowMs The current time.
 * @param onMs Length of the running phase.
 * @param offMs Length of the resting phase.
 * @returns The time of the next phase change, or `null` when the cycle never changes.
 * @example
 * ```ts
 * import { nextTimerChangeMs } from "./fan_timer.ts";
 * import assert from "node:assert/strict";
 * assert.equal(nextTimerChangeMs(0, 5, 10, 50), 10);
 * assert.equal(nextTimerChangeMs(0, 10, 10, 50), 60);
 * assert.equal(nextTimerChangeMs(0, 10, 0, 50), null);
 * ```
 */
export function nextTimerChangeMs(
  anchorMs: number,
  nowMs: number,
  onMs: number,
  offMs: number,
): number | null {
  if (!cycleValid(onMs, offMs) || !isFinite(nowMs - anchorMs)) return null;
  const atMs = positionMs(anchorMs, nowMs, onMs + offMs);
  return atMs < onMs ? nowMs + (onMs - atMs) : nowMs + (onMs + offMs - atMs);
}
