import { telemetryParams } from "./protocol_states.ts";
import assert from "node:assert/strict";
import fc from "fast-check";
import {
  DEFAULT_DISCOVERY_PREFIX,
  type DiscoveryMessage,
  discoveryMessageAt,
  discoveryMessageCount,
  discoveryMessages,
  type DiscoveryOptions,
  discoveryRemovalMessages,
  discoveryTopic,
} from "./discovery.ts";
import { DEFAULT_FAN_SETTINGS } from "./settings.ts";
import { type DeviceKind, isValidDeviceId } from "./topics.ts";

type Json = Record<string, unknown>;

// The v1 protocol's parameters (DESIGN.md): every topic an entity names must be one.
const NETWORK_STATES = ["rssi", "ssid", "ip", "mac", "uptime"];
const PLUG_COMMANDS = [
  "power",
  "pulse",
  "power_on_state",
  "max_power",
  "telemetry",
  "energy_reset",
];
const PLUG_STATES = [
  "power",
  "watts",
  "volts",
  "amps",
  "power_factor",
  "apparent_va",
  "energy_total",
  "energy_today",
  "energy_yesterday",
  "fault",
].concat(NETWORK_STATES);
const FAN_SETTINGS = [
  "hum_on",
  "hum_off",
  "hum_rise",
  "temp_on",
  "temp_off",
  "hum_using",
  "temp_using",
  "time_using",
  "timer_on",
  "timer_off",
  "warm",
  "check_period",
  "min_on",
  "min_off",
  "max_run",
  "telemetry",
];
const FAN_COMMANDS = ["power", "speed"].concat(FAN_SETTINGS);
const FAN_STATES = ["power", "speed", "mode", "control", "reason", "temperature", "humidity"]
  .concat(FAN_SETTINGS, NETWORK_STATES);

const COMPONENTS = ["switch", "sensor", "fan", "number", "button"];

// Home Assistant's own entity id rule (homeassistant/core.py VALID_ENTITY_ID).
const VALID_ENTITY_ID = /^(?!.+__)(?!_)[\da-z_]+(?<!_)\.(?!_)[\da-z_]+(?<!_)$/;

// Units and state classes Home Assistant accepts per sensor device class ("none" = absent).
const SENSOR_RULES: Record<string, { units: string[]; stateClasses: string[] }> = {
  power: { units: ["W"], stateClasses: ["measurement"] },
  voltage: { units: ["V"], stateClasses: ["measurement"] },
  current: { units: ["A"], stateClasses: ["measurement"] },
  power_factor: { units: ["none", "%"], stateClasses: ["measurement"] },
  apparent_power: { units: ["VA"], stateClasses: ["measurement"] },
  energy: { units: ["Wh"], stateClasses: ["none", "total", "total_increasing"] },
  signal_strength: { units: ["dBm"], stateClasses: ["measurement", "none"] },
  duration: { units: ["s"], stateClasses: ["none", "measurement", "total_increasing"] },
  temperature: { units: ["°C"], stateClasses: ["measurement"] },
  humidity: { units: ["%"], stateClasses: ["measurement"] },
  enum: { units: ["none"], stateClasses: ["none"] },
  none: { units: ["none"], stateClasses: ["none"] },
};
const NUMBER_UNITS: Record<string, string> = { humidity: "%", temperature: "°C", duration: "s" };

const valueOf = <T>(result: { ok: true; value: T } | { ok: false; error: string }): T => {
  if (!result.ok) throw new Error("expected ok, got: " + result.error);
  return result.value;
};

const text = (value: unknown): string => (value === undefined ? "none" : String(value));

function checkTopicField(key: string, value: unknown, base: string, kind: DeviceKind): void {
  assert.equal(typeof value, "string", key);
  const topic = value as string;
  assert.ok(!/[+#]/.test(topic), topic);
  assert.ok(topic.startsWith(base + "/"), `${key}: ${topic} is not under ${base}`);
  const rest = topic.slice(base.length + 1).split("/");
  assert.equal(rest.length, 2, topic);
  const param = rest[1] as string;
  if (key.endsWith("command_topic")) {
    assert.equal(rest[0], "commands", topic);
    assert.ok((kind === "plugs" ? PLUG_COMMANDS : FAN_COMMANDS).includes(param), topic);
  } else {
    assert.ok(key.endsWith("state_topic"), key);
    assert.equal(rest[0], "states", topic);
    assert.ok((kind === "plugs" ? PLUG_STATES : FAN_STATES).includes(param), topic);
  }
}

function checkSensor(config: Json, where: string): void {
  const rule = SENSOR_RULES[text(config.device_class)];
  assert.ok(rule, `${where}: unexpected device_class ${config.device_class}`);
  assert.ok(rule.units.includes(text(config.unit_of_measurement)), `${where}: unit`);
  assert.ok(rule.stateClasses.includes(text(config.state_class)), `${where}: state_class`);
  assert.notEqual(config.entity_category, "config", `${where}: sensors cannot be config`);
  assert.equal(config.command_topic, undefined, where);
  if (config.device_class === "enum") {
    assert.ok(Array.isArray(config.options) && config.options.length > 0, where);
  }
}

function checkNumber(config: Json, where: string): void {
  const min = config.min as number, max = config.max as number, step = config.step as number;
  assert.ok(min < max && step > 0, where);
  assert.equal(config.entity_category, "config", where);
  assert.equal(config.unit_of_measurement, NUMBER_UNITS[config.device_class as string], where);
}

function checkFan(config: Json, base: string, maxSpeed: number, where: string): void {
  assert.deepEqual(config.preset_modes, ["auto"], where);
  assert.equal(config.preset_mode_command_topic, base + "/commands/power", where);
  assert.equal(config.preset_mode_state_topic, base + "/states/mode", where);
  if (maxSpeed > 1) {
    assert.equal(config.percentage_command_topic, base + "/commands/speed", where);
    assert.equal(config.percentage_state_topic, base + "/states/speed", where);
    assert.equal(config.speed_range_min, 1, where);
    assert.equal(config.speed_range_max, maxSpeed, where);
  } else {
    assert.equal(config.percentage_command_topic, undefined, where);
    assert.equal(config.speed_range_max, undefined, where);
  }
}

/** Asserts every invariant of a device's discovery messages. */
function checkDevice(options: DiscoveryOptions, messages: DiscoveryMessage[]): void {
  const discoveryPrefix = options.discoveryPrefix ?? DEFAULT_DISCOVERY_PREFIX;
  const base = options.prefix + options.kind + "/" + options.id;
  const uniqueIds: string[] = [];
  const entityIds: string[] = [];
  assert.equal(messages.length, discoveryMessageCount(options.kind));
  for (const message of messages) {
    assert.equal(message.retain, true);
    assert.ok(message.topic.startsWith(discoveryPrefix + "/"), message.topic);
    const parts = message.topic.slice(discoveryPrefix.length + 1).split("/");
    assert.equal(parts.length, 4, message.topic);
    const component = parts[0] as string, object = parts[2] as string;
    assert.ok(COMPONENTS.includes(component), message.topic);
    assert.equal(parts[1], options.id, message.topic);
    assert.match(object, /^[a-z_]+$/, message.topic);
    assert.equal(parts[3], "config", message.topic);
    assert.equal(
      message.topic,
      discoveryTopic(discoveryPrefix, component as "sensor", options.id, object),
    );

    const config = JSON.parse(message.payload) as Json;
    const where = message.topic;
    assert.ok(typeof config.name === "string" || config.name === null, where);
    assert.equal(config.unique_id, `housegrid_${options.id}_${object}`, where);
    uniqueIds.push(config.unique_id as string);
    const entityId = config.default_entity_id as string;
    assert.match(entityId, VALID_ENTITY_ID, where);
    assert.ok(entityId.startsWith(component + "."), where);
    entityIds.push(entityId);
    assert.deepEqual(config.availability, [{
      topic: base + "/availability",
      payload_available: "online",
      payload_not_available: "offline",
    }], where);
    assert.deepEqual(config.device, {
      identifiers: ["housegrid_" + options.id],
      name: options.name,
      manufacturer: "housegrid",
      model: options.kind === "plugs" ? "Smart plug" : "Exhaust fan",
      sw_version: options.swVersion,
    }, where);
    for (const key of Object.keys(config)) {
      if (key.endsWith("_topic")) checkTopicField(key, config[key], base, options.kind);
    }
    if (config.command_topic !== undefined) {
      assert.equal(config.retain, false, `${where}: commands must not be retained`);
    }
    if (config.state_topic !== undefined && component !== "fan") {
      assert.equal(config.state_topic, base + "/states/" + object, where);
    }
    if (component === "sensor") checkSensor(config, where);
    if (component === "number") checkNumber(config, where);
    if (component === "switch" || component === "fan") {
      assert.equal(config.payload_on, "ON", where);
      assert.equal(config.payload_off, "OFF", where);
    }
    if (component === "fan") {
      checkFan(config, base, options.maxSpeed ?? DEFAULT_FAN_SETTINGS.maxSpeed, where);
    }
  }
  assert.equal(new Set(uniqueIds).size, uniqueIds.length, "unique ids must be unique");
  assert.equal(new Set(entityIds).size, entityIds.length, "entity ids must be unique");
  assert.equal(new Set(messages.map((m) => m.topic)).size, messages.length, "topics unique");
}

const idArb = fc.stringMatching(/^[a-z0-9_-]{1,32}$/);
const prefixArb = fc.array(fc.stringMatching(/^[a-z0-9_-]{1,8}$/), { maxLength: 3 })
  .map((parts) => parts.map((part) => part + "/").join(""));
const optionsArb: fc.Arbitrary<DiscoveryOptions> = fc.record({
  prefix: prefixArb,
  kind: fc.constantFrom<DeviceKind>("plugs", "fans"),
  id: idArb,
  name: fc.string({ minLength: 1, maxLength: 40 }).filter((name) => name.trim() !== ""),
  swVersion: fc.string({ maxLength: 12 }),
  maxSpeed: fc.option(fc.integer({ min: 1, max: 100 }), { nil: undefined }),
  discoveryPrefix: fc.option(fc.stringMatching(/^[a-z0-9_]{1,12}(\/[a-z0-9_]{1,12})?$/), {
    nil: undefined,
  }),
});

const PLUG: DiscoveryOptions = {
  prefix: "",
  kind: "plugs",
  id: "plug1",
  name: "Desk plug",
  swVersion: "0.1.0",
};
const FAN: DiscoveryOptions = {
  prefix: "home/",
  kind: "fans",
  id: "bath",
  name: "Bathroom fan",
  swVersion: "0.1.0",
  maxSpeed: 3,
};

const configAt = (options: DiscoveryOptions, topic: string): Json => {
  const message = valueOf(discoveryMessages(options)).find((m) => m.topic === topic);
  assert.ok(message, "no message on " + topic);
  return JSON.parse(message.payload) as Json;
};

Deno.test("discoveryMessages() describes a plug with its switch and meters", () => {
  checkDevice(PLUG, valueOf(discoveryMessages(PLUG)));
  const power = configAt(PLUG, "homeassistant/switch/plug1/power/config");
  assert.equal(power.command_topic, "plugs/plug1/commands/power");
  assert.equal(power.state_topic, "plugs/plug1/states/power");
  assert.equal(power.state_on, "ON");
  assert.equal(power.name, null);
  const watts = configAt(PLUG, "homeassistant/sensor/plug1/watts/config");
  assert.equal(watts.device_class, "power");
  assert.equal(watts.unit_of_measurement, "W");
  assert.equal(watts.state_class, "measurement");
  assert.equal(watts.default_entity_id, "sensor.housegrid_plug1_watts");
  const today = configAt(PLUG, "homeassistant/sensor/plug1/energy_today/config");
  assert.equal(today.state_class, "total_increasing");
  const yesterday = configAt(PLUG, "homeassistant/sensor/plug1/energy_yesterday/config");
  assert.equal(yesterday.state_class, undefined);
  const rssi = configAt(PLUG, "homeassistant/sensor/plug1/rssi/config");
  assert.equal(rssi.entity_category, "diagnostic");
  const reset = configAt(PLUG, "homeassistant/button/plug1/energy_reset/config");
  assert.equal(reset.command_topic, "plugs/plug1/commands/energy_reset");
  assert.equal(reset.payload_press, "0");
});

Deno.test("discoveryMessages() describes a fan with speeds, auto preset and settings", () => {
  checkDevice(FAN, valueOf(discoveryMessages(FAN)));
  const fan = configAt(FAN, "homeassistant/fan/bath/power/config");
  assert.equal(fan.command_topic, "home/fans/bath/commands/power");
  assert.equal(fan.state_topic, "home/fans/bath/states/power");
  assert.equal(fan.speed_range_max, 3);
  const humOn = configAt(FAN, "homeassistant/number/bath/hum_on/config");
  assert.equal(humOn.command_topic, "home/fans/bath/commands/hum_on");
  assert.equal(humOn.state_topic, "home/fans/bath/states/hum_on");
  const reason = configAt(FAN, "homeassistant/sensor/bath/reason/config");
  assert.ok((reason.options as string[]).includes("safety"));
});

Deno.test("discoveryMessages() leaves speed out of a single-speed fan", () => {
  const single = Object.assign({}, FAN, { maxSpeed: 1 });
  checkDevice(single, valueOf(discoveryMessages(single)));
  const fan = configAt(single, "homeassistant/fan/bath/power/config");
  assert.equal(fan.percentage_command_topic, undefined);
});

Deno.test("discoveryMessages() uses a custom discovery prefix and odd ids", () => {
  const options = Object.assign({}, PLUG, { id: "-a__b-", discoveryPrefix: "ha/disc" });
  const messages = valueOf(discoveryMessages(options));
  checkDevice(options, messages);
  assert.ok(messages.some((m) => m.topic === "ha/disc/sensor/-a__b-/watts/config"));
  const watts = configAt(options, "ha/disc/sensor/-a__b-/watts/config");
  assert.equal(watts.default_entity_id, "sensor.housegrid_a_b_watts");
});

Deno.test("discovery invariants hold for any valid device", () => {
  fc.assert(fc.property(optionsArb, (options) => {
    const messages = valueOf(discoveryMessages(options));
    checkDevice(options, messages);
    messages.forEach((message, index) => {
      assert.deepEqual(valueOf(discoveryMessageAt(options, index)), message);
    });
  }));
});

Deno.test("discoveryRemovalMessages() empties exactly the discovery topics", () => {
  fc.assert(fc.property(optionsArb, (options) => {
    const removal = valueOf(discoveryRemovalMessages(options));
    const topics = valueOf(discoveryMessages(options)).map((m) => m.topic);
    assert.deepEqual(removal.map((m) => m.topic), topics);
    assert.ok(removal.every((m) => m.payload === "" && m.retain === true));
  }));
});

Deno.test("discoveryMessageAt() rejects indices out of range", () => {
  const count = discoveryMessageCount("plugs");
  for (const index of [-1, count, 1.5, NaN]) {
    const result = discoveryMessageAt(PLUG, index);
    assert.equal(result.ok, false, String(index));
  }
});

Deno.test("bad options give an error, never a throw", () => {
  const bad: Array<Partial<Record<keyof DiscoveryOptions, unknown>>> = [
    { id: "Plug 1" },
    { id: "" },
    { id: "a".repeat(33) },
    { kind: "lights" },
    { prefix: "home" },
    { prefix: "home/+/" },
    { prefix: 3 },
    { discoveryPrefix: "" },
    { discoveryPrefix: "homeassistant/" },
    { discoveryPrefix: "ha#" },
    { name: "  " },
    { name: undefined },
    { swVersion: 1 },
    { maxSpeed: 0 },
    { maxSpeed: 1.5 },
    { maxSpeed: 101 },
    { maxSpeed: NaN },
    { maxSpeed: Infinity },
  ];
  for (const change of bad) {
    const options = Object.assign({}, FAN, change) as unknown as DiscoveryOptions;
    const result = discoveryMessages(options);
    assert.equal(result.ok, false, JSON.stringify(change));
    assert.ok(!result.ok && result.error.length > 0);
    assert.equal(discoveryMessageAt(options, 0).ok, false, JSON.stringify(change));
  }
  assert.equal(discoveryMessages(null as unknown as DiscoveryOptions).ok, false);
  assert.equal(discoveryRemovalMessages(null as unknown as DiscoveryOptions).ok, false);
  assert.equal(discoveryRemovalMessages({ kind: "plugs", id: "Bad" }).ok, false);
});

Deno.test("any id is accepted exactly when it is a valid device id", () => {
  fc.assert(fc.property(fc.string({ maxLength: 40 }), (id) => {
    const options = Object.assign({}, PLUG, { id: id });
    assert.equal(discoveryMessages(options).ok, isValidDeviceId(id));
    assert.equal(discoveryRemovalMessages(options).ok, isValidDeviceId(id));
  }));
});

Deno.test("payloads stay small enough for a microcontroller's MQTT buffer", () => {
  // Longest id, a prefix and a long name: about the worst case a device publishes
  // (measured: 1268 bytes for the fan entity, 774 for the biggest plug entity).
  for (const kind of ["plugs", "fans"] as const) {
    const options: DiscoveryOptions = {
      prefix: "home/",
      kind: kind,
      id: "x".repeat(32),
      name: "n".repeat(32),
      swVersion: "1.2.3",
    };
    for (const message of valueOf(discoveryMessages(options))) {
      assert.ok(message.payload.length + message.topic.length < 1500, message.topic);
    }
  }
});

Deno.test("snapshot telemetry mode: readings' entities read the JSON snapshot", () => {
  for (const kind of ["plugs", "fans"] as const) {
    const built = discoveryMessages({
      prefix: "",
      kind,
      id: "d1",
      name: "d1",
      swVersion: "1",
      telemetryMode: "snapshot",
    });
    assert.ok(built.ok);
    for (const message of built.value) {
      const config = JSON.parse(message.payload);
      const object = message.topic.split("/")[3]!;
      if (telemetryParams(kind).includes(object)) {
        assert.equal(config.state_topic, `${kind}/d1/state`, object);
        assert.equal(config.value_template, `{{ value_json.${object} }}`);
      } else if (config.state_topic !== undefined) {
        assert.equal(config.state_topic, `${kind}/d1/states/${object}`, object);
      }
    }
  }
  const bad = discoveryMessages({
    prefix: "",
    kind: "plugs",
    id: "d1",
    name: "d1",
    swVersion: "1",
    telemetryMode: "fast" as "full",
  });
  assert.equal(bad.ok, false);
});

Deno.test("discoveryMessageCount() counts every entity of each kind, and no more", () => {
  for (const kind of ["plugs", "fans"] as const) {
    const options = { prefix: "", kind, id: "d1", name: "D", swVersion: "1" };
    const count = discoveryMessageCount(kind);
    const topics = new Set<string>();
    for (let index = 0; index < count; index++) {
      topics.add(valueOf(discoveryMessageAt(options, index)).topic);
    }
    assert.equal(topics.size, count, kind);
    // The network's entities come last: the count reaches the end of the table.
    const last = valueOf(discoveryMessageAt(options, count - 1)).topic;
    assert.equal(last, "homeassistant/sensor/d1/mac/config", kind);
    assert.equal(discoveryMessageAt(options, count).ok, false, kind);
  }
});
