/**
 * The MQTT v1 topic tree: `<prefix><kind>/<id>/...` (see DESIGN.md).
 *
 * @module
 */

/** The two device kinds housegrid knows. */
export type DeviceKind = "plugs" | "fans";

// No `{1,32}`: Espruino's RegExp engine lacks counted quantifiers.
const DEVICE_ID_PATTERN = /^[a-z0-9_-]+$/;

/**
 * Tells whether a device id is valid: 1 to 32 of `a-z`, `0-9`, `_`, `-`.
 *
 * @param id The candidate id.
 * @returns `true` when the id may be used in topics.
 * @example
 * ```ts
 * import { isValidDeviceId } from "./topics.ts";
 * import assert from "node:assert/strict";
 * assert.equal(isValidDeviceId("plug1"), true);
 * assert.equal(isValidDeviceId("Plug 1"), false);
 * ```
 */
export function isValidDeviceId(id: string): boolean {
  return id.length <= 32 && DEVICE_ID_PATTERN.test(id);
}

/**
 * Builds a device's base topic.
 *
 * @param prefix Topic prefix, empty or ending with `/` (e.g. `home/`).
 * @param kind `plugs` or `fans`.
 * @param id The device id.
 * @returns `<prefix><kind>/<id>`.
 * @example
 * ```ts
 * import { baseTopic } from "./topics.ts";
 * import assert from "node:assert/strict";
 * assert.equal(baseTopic("home/", "fans", "fan1"), "home/fans/fan1");
 * ```
 */
export function baseTopic(prefix: string, kind: DeviceKind, id: string): string {
  return prefix + kind + "/" + id;
}

/**
 * Builds the availability topic (`online`/`offline`, retained, last will).
 *
 * @param base The device's base topic.
 * @returns `<base>/availability`.
 * @example
 * ```ts
 * import { availabilityTopic } from "./topics.ts";
 * import assert from "node:assert/strict";
 * assert.equal(availabilityTopic("plugs/p1"), "plugs/p1/availability");
 * ```
 */
export function availabilityTopic(base: string): string {
  return base + "/availability";
}

/**
 * Builds the topic a command parameter arrives on.
 *
 * @param base The device's base topic.
 * @param param The parameter, e.g. `power`.
 * @returns `<base>/commands/<param>`.
 * @example
 * ```ts
 * import { commandTopic } from "./topics.ts";
 * import assert from "node:assert/strict";
 * assert.equal(commandTopic("plugs/p1", "power"), "plugs/p1/commands/power");
 * ```
 */
export function commandTopic(base: string, param: string): string {
  return base + "/commands/" + param;
}

/**
 * Builds the retained topic of one state parameter.
 *
 * @param base The device's base topic.
 * @param param The parameter, e.g. `watts`.
 * @returns `<base>/states/<param>`.
 * @example
 * ```ts
 * import { stateTopic } from "./topics.ts";
 * import assert from "node:assert/strict";
 * assert.equal(stateTopic("plugs/p1", "watts"), "plugs/p1/states/watts");
 * ```
 */
export function stateTopic(base: string, param: string): string {
  return base + "/states/" + param;
}

/**
 * Builds the retained topic of the JSON snapshot of all states.
 *
 * @param base The device's base topic.
 * @returns `<base>/state`.
 * @example
 * ```ts
 * import { snapshotTopic } from "./topics.ts";
 * import assert from "node:assert/strict";
 * assert.equal(snapshotTopic("fans/f1"), "fans/f1/state");
 * ```
 */
export function snapshotTopic(base: string): string {
  return base + "/state";
}

/**
 * Builds the topic where rejected commands are reported.
 *
 * @param base The device's base topic.
 * @returns `<base>/errors`.
 * @example
 * ```ts
 * import { errorsTopic } from "./topics.ts";
 * import assert from "node:assert/strict";
 * assert.equal(errorsTopic("fans/f1"), "fans/f1/errors");
 * ```
 */
export function errorsTopic(base: string): string {
  return base + "/errors";
}
