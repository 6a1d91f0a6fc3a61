/**
 * When people shower and visit the toilet: seeded schedules of activities for the room
 * models, so a simulated week is the same week on every run with the same seed.
 *
 * @module
 */

import { gaussian, type Random } from "./random.ts";

/** One activity: a shower or a toilet visit. */
export interface Activity {
  /** When it starts. */
  startMs: number;
  /** How long it lasts. */
  durationMs: number;
}

/** The span and household a schedule covers. */
export interface ScheduleOptions {
  /** Start of the schedule; must be a local midnight (day boundaries count from it). */
  fromMs: number;
  /** Number of days. */
  days: number;
  /** People in the household (default 2). */
  people?: number;
}

const MINUTE_MS = 60000;
const HOUR_MS = 60 * MINUTE_MS;
const DAY_MS = 24 * HOUR_MS;

const clamp = (x: number, low: number, high: number): number => Math.min(high, Math.max(low, x));

/** Sorts by start and pushes each activity past the end of the one before. */
const serialise = (activities: Activity[], gapMs: number): Activity[] => {
  const sorted = [...activities].sort((a, b) => a.startMs - b.startMs);
  const result: Activity[] = [];
  for (const a of sorted) {
    const last = result[result.length - 1];
    const earliest = last ? last.startMs + last.durationMs + gapMs : -Infinity;
    result.push({ startMs: Math.max(a.startMs, earliest), durationMs: a.durationMs });
  }
  return result;
};

/**
 * Plans showers: each person showers on about 9 days in 10, most in the morning (6:30 to
 * 8:30), the rest in the evening (19:00 to 23:00), for about 8 minutes (3 to 20). One
 * bathroom: showers never overlap.
 *
 * @param random Seeded source (see `createRandom`).
 * @param options Span and household.
 * @returns Showers in time order.
 * @example
 * ```ts
 * import { scheduleShowers } from "./occupancy.ts";
 * import { createRandom } from "./random.ts";
 * import assert from "node:assert/strict";
 * const week = scheduleShowers(createRandom(7), { fromMs: 0, days: 7 });
 * assert.ok(week.length >= 8 && week.length <= 14);
 * ```
 */
export function scheduleShowers(random: Random, options: ScheduleOptions): Activity[] {
  const people = options.people ?? 2;
  const showers: Activity[] = [];
  for (let day = 0; day < options.days; day++) {
    for (let person = 0; person < people; person++) {
      if (random() >= 0.9) continue;
      const morning = random() < 0.6;
      const offsetMs = morning
        ? 6.5 * HOUR_MS + random() * 2 * HOUR_MS
        : 19 * HOUR_MS + random() * 4 * HOUR_MS;
      const minutes = clamp(8 + 3 * gaussian(random), 3, 20);
      showers.push({
        startMs: Math.round(options.fromMs + day * DAY_MS + offsetMs),
        durationMs: Math.round(minutes * MINUTE_MS),
      });
    }
  }
  return serialise(showers, 2 * MINUTE_MS);
}

/**
 * Plans toilet visits: about 5 a day per person between 6:00 and 23:00, 1 to 6 minutes
 * each, never overlapping.
 *
 * @param random Seeded source (see `createRandom`).
 * @param options Span and household.
 * @returns Visits in time order.
 * @example
 * ```ts
 * import { scheduleVisits } from "./occupancy.ts";
 * import { createRandom } from "./random.ts";
 * import assert from "node:assert/strict";
 * const day = scheduleVisits(createRandom(7), { fromMs: 0, days: 1, people: 1 });
 * assert.ok(day.length >= 3 && day.length <= 7);
 * ```
 */
export function scheduleVisits(random: Random, options: ScheduleOptions): Activity[] {
  const people = options.people ?? 2;
  const visits: Activity[] = [];
  for (let day = 0; day < options.days; day++) {
    for (let person = 0; person < people; person++) {
      const count = 3 + Math.floor(random() * 5);
      for (let n = 0; n < count; n++) {
        visits.push({
          startMs: Math.round(
            options.fromMs + day * DAY_MS + 6 * HOUR_MS + random() * 17 * HOUR_MS,
          ),
          durationMs: Math.round((1 + random() * 5) * MINUTE_MS),
        });
      }
    }
  }
  return serialise(visits, MINUTE_MS);
}

/**
 * Whether an activity of a time-ordered, non-overlapping list is under way at `nowMs`.
 *
 * @param activities From {@linkcode scheduleShowers} or {@linkcode scheduleVisits}.
 * @param nowMs The moment.
 * @returns `true` from an activity's start (included) to its end (excluded).
 * @example
 * ```ts
 * import { activeAt } from "./occupancy.ts";
 * import assert from "node:assert/strict";
 * const plan = [{ startMs: 1000, durationMs: 500 }];
 * assert.equal(activeAt(plan, 1200), true);
 * assert.equal(activeAt(plan, 1500), false);
 * ```
 */
export function activeAt(activities: readonly Activity[], nowMs: number): boolean {
  // Binary search: the last activity starting at or before nowMs.
  let low = 0;
  let high = activities.length - 1;
  let found = -1;
  while (low <= high) {
    const mid = (low + high) >> 1;
    if ((activities[mid] as Activity).startMs <= nowMs) {
      found = mid;
      low = mid + 1;
    } else {
      high = mid - 1;
    }
  }
  const a = activities[found];
  return a !== undefined && nowMs - a.startMs < a.durationMs;
}
