// What the firmware does with a step whose states are deferred, shared by the plug's and
// the fan's property tests: the step's other effects first, then its `statesDue` effect fed
// back as an event, whose step publishes the states.
import type { DeviceEffect, StatesDueEffect } from "./device_effects.ts";

/** A device step: with `deferStates`, the states are left as a last `statesDue` effect. */
type DeviceStep<S, E> = (
  state: S,
  event: E | StatesDueEffect,
  deferStates?: boolean,
) => { state: S; effects: DeviceEffect[] };

/**
 * Steps `event` with its states deferred and feeds them back as the firmware does.
 *
 * @returns What the step without deferral should give: the same state and effects.
 */
export function stepFedBack<S, E>(
  step: DeviceStep<S, E>,
  state: S,
  event: E | StatesDueEffect,
): { state: S; effects: DeviceEffect[] } {
  const deferred = step(state, event, true);
  const due = deferred.effects[deferred.effects.length - 1];
  if (due?.type !== "statesDue") return deferred;
  const published = step(deferred.state, due);
  return {
    state: published.state,
    effects: deferred.effects.slice(0, -1).concat(published.effects),
  };
}
