/**
 * The string and topic rules of MQTT 3.1.1 that both the encoder and the decoder apply:
 * well-formed UTF-8 without U+0000 and at most 65535 bytes; topic names without wildcards;
 * topic filters with `+` and `#` only as whole levels (`#` last).
 *
 * @module
 */

/**
 * Checks an MQTT string: well-formed Unicode (no lone surrogate), no U+0000, and at most
 * 65535 bytes as UTF-8 (the length prefix is 16 bits).
 *
 * @param text The string.
 * @param what What the string is, for the message (e.g. `topic`).
 * @returns `null` when valid, or why not.
 * @example
 * ```ts
 * import { mqttStringError } from "./mqtt_topic.ts";
 * import assert from "node:assert/strict";
 * assert.equal(mqttStringError("fans/fan1", "topic"), null);
 * assert.equal(mqttStringError("a\u0000b", "topic"), "topic contains U+0000");
 * ```
 */
export function mqttStringError(text: string, what: string): string | null {
  if (typeof text !== "string") return what + " must be a string";
  let byteCount = 0;
  for (let index = 0; index < text.length; index++) {
    const code = text.charCodeAt(index);
    if (code === 0) return what + " contains U+0000";
    if (code >= 0xd800 && code <= 0xdbff) {
      const low = index + 1 < text.length ? text.charCodeAt(index + 1) : 0;
      if (low < 0xdc00 || low > 0xdfff) return what + " contains a lone surrogate";
      byteCount += 4;
      index++;
    } else if (code >= 0xdc00 && code <= 0xdfff) {
      return what + " contains a lone surrogate";
    } else {
      // Espruino strings hold code points, so an astral character is one code above 0xffff.
      byteCount += code < 0x80 ? 1 : code < 0x800 ? 2 : code < 0x10000 ? 3 : 4;
    }
  }
  return byteCount > 0xffff ? what + " is longer than 65535 bytes" : null;
}

/**
 * Checks a topic name (for PUBLISH and the will): a valid MQTT string, not empty, with no
 * `+` or `#` wildcard.
 *
 * @param topic The topic name.
 * @returns `null` when valid, or why not.
 * @example
 * ```ts
 * import { topicNameError } from "./mqtt_topic.ts";
 * import assert from "node:assert/strict";
 * assert.equal(topicNameError("plugs/p1/states/power"), null);
 * assert.equal(topicNameError("plugs/+/states"), "topic name contains a wildcard");
 * ```
 */
export function topicNameError(topic: string): string | null {
  const error = mqttStringError(topic, "topic name");
  if (error !== null) return error;
  if (topic.length === 0) return "topic name is empty";
  if (topic.indexOf("+") >= 0 || topic.indexOf("#") >= 0) return "topic name contains a wildcard";
  return null;
}

/**
 * Checks a topic filter (SUBSCRIBE, UNSUBSCRIBE): a valid MQTT string, not empty, `+` only
 * as a whole level, `#` only as the whole last level.
 *
 * @param filter The topic filter.
 * @returns `null` when valid, or why not.
 * @example
 * ```ts
 * import { topicFilterError } from "./mqtt_topic.ts";
 * import assert from "node:assert/strict";
 * assert.equal(topicFilterError("fans/+/commands/#"), null);
 * assert.equal(topicFilterError("fans/fan#"), "topic filter has # not as the whole last level");
 * ```
 */
export function topicFilterError(filter: string): string | null {
  const error = mqttStringError(filter, "topic filter");
  if (error !== null) return error;
  if (filter.length === 0) return "topic filter is empty";
  const levels = filter.split("/");
  for (let index = 0; index < levels.length; index++) {
    const level = levels[index] as string;
    if (level.indexOf("#") >= 0 && (level !== "#" || index !== levels.length - 1)) {
      return "topic filter has # not as the whole last level";
    }
    if (level.indexOf("+") >= 0 && level !== "+") return "topic filter has + inside a level";
  }
  return null;
}
