/**
 * What only the firmware's start-up needs (the MQTT session's configuration, the boot's
 * problems logged): a module of its own, loaded lazily, so none of it stays resident.
 *
 * @module
 */

import type { DeviceEffect } from "../lib/device_effects.ts";
import type { MqttSessionConfig } from "../lib/mqtt_session.ts";
import { availabilityTopic, baseTopic } from "../lib/topics.ts";
import { encodeUtf8 } from "../lib/utf8.ts";
import type { DeviceConfig } from "./config.ts";

/**
 * The MQTT session configuration of a device.
 *
 * @param config The device configuration.
 * @returns Client id `<kind>-<id>`, credentials, and `offline` (retained) as the last will.
 * @example
 * ```ts
 * import { sessionConfig } from "./firmware_boot.ts";
 * import { parseDeviceConfig } from "./config.ts";
 * import assert from "node:assert/strict";
 * const parsed = parseDeviceConfig({ kind: "fan", id: "bath", mqtt: { host: "h", username: "u" } });
 * assert.ok(parsed.ok);
 * const session = sessionConfig(parsed.value);
 * assert.equal(session.clientId, "fan-bath");
 * assert.equal(session.will?.topic, "fans/bath/availability");
 * assert.equal(session.password, undefined);
 * ```
 */
export function sessionConfig(config: DeviceConfig): MqttSessionConfig {
  const base = baseTopic(config.prefix, config.kind === "plug" ? "plugs" : "fans", config.id);
  const session: MqttSessionConfig = {
    clientId: config.kind + "-" + config.id,
    will: { topic: availabilityTopic(base), payload: encodeUtf8("offline"), qos: 1, retain: true },
    keepaliveMs: config.mqtt.keepaliveS * 1000,
    pingTimeoutMs: 15000,
    connectTimeoutMs: 20000,
    reconnectMinMs: 2000,
    reconnectMaxMs: 60000,
    resendAfterMs: 20000,
    maxInflight: 2,
    maxPacketBytes: 1024,
  };
  if (config.mqtt.username !== "") session.username = config.mqtt.username;
  if (config.mqtt.password !== "") session.password = encodeUtf8(config.mqtt.password);
  return session;
}

/**
 * Logs the problems met while booting from the store and returns the rest. A function of
 * its own, so no closure of `startFirmware` keeps the first state alive.
 *
 * @param booted What the device kind's boot returned.
 * @param log Where the problems go.
 * @returns The state and the effects to carry out.
 * @example
 * ```ts
 * import { bootLogged } from "./firmware_boot.ts";
 * import assert from "node:assert/strict";
 * const lines: string[] = [];
 * const kept = bootLogged({ state: 1, effects: [], problems: ["bad file"] }, (l) => lines.push(l));
 * assert.deepEqual(kept, { state: 1, effects: [] });
 * assert.deepEqual(lines, ["storage: bad file"]);
 * ```
 */
export const bootLogged = <S>(
  booted: { state: S; effects: DeviceEffect[]; problems: string[] },
  log: (text: string) => void,
): { state: S; effects: DeviceEffect[] } => {
  for (const problem of booted.problems) log("storage: " + problem);
  return { state: booted.state, effects: booted.effects };
};
