/**
 * A custom device composed from the library's parts: an electric heater with a thermostat,
 * on its own base topic `heaters/<id>`, running in the simulator's world (a virtual clock,
 * an MQTT broker, a room that warms and cools) and answering MQTT commands.
 *
 * What comes from the library:
 * - `stepRelay` drives the heater's relay: the minimum switching interval that protects
 *   its contacts, `boost` (a pulse: heat now for N seconds, whatever the thermostat says)
 *   and the over-power cut-off (`max_power`, with the reason on `fault`);
 * - `addPowerSample`/`energyTotals` count its energy exactly;
 * - `parseDecimal`/`formatDecimal` read and write the protocol's plain numbers, and the
 *   topic helpers, `commandErrorMessage` and `decodeUtf8` give it the v1 protocol's shape:
 *   `availability` with a last will, retained `states/<param>` and a JSON `state`,
 *   `commands/<param>` (retained ones ignored), rejections on `errors`.
 *
 * The thermostat itself is new, written like the library's controllers: a pure transition
 * `stepHeater(state, event) -> { state, effects }` with time carried by the events, and
 * explicit thresholds: heat at or below `temp_on`, stop at or above `temp_off`.
 *
 * A scripted controller (an ordinary mqtt.js client) sends commands during the run and
 * prints what the heater answers. By default the run uses an in-process broker on a free
 * port and goes as fast as it can; `--speed 60` runs at 60x real time instead, so you can
 * talk to the heater yourself meanwhile (the printed `mosquitto_pub` line), and `--broker
 * mqtt://127.0.0.1:1883` joins a running simulator's broker.
 *
 * Run: `deno run -A examples/custom_device.ts [--hours 5] [--speed N] [--broker URL]`
 *
 * @module
 */

import { parseArgs } from "node:util";
import mqtt from "mqtt";
import {
  addPowerSample,
  availabilityTopic,
  commandErrorMessage,
  commandFilter,
  commandTopic,
  decodeUtf8,
  DEFAULT_PLUG_SETTINGS,
  type EnergyState,
  energyTotals,
  formatDecimal,
  initialEnergyState,
  initialRelayState,
  isValidDeviceId,
  nextRelayDeadlineMs,
  parseDecimal,
  type PlugSettings,
  type RelayEffect,
  type RelayEvent,
  type RelayState,
  type Result,
  snapshotTopic,
  stateTopic,
  stepRelay,
} from "../mod.ts";
import { type BrokerHandle, startBroker } from "../sim/broker.ts";
import { startRealtime, VirtualClock } from "../sim/clock.ts";
import { mqttJsLink } from "../sim/mqtt_link.ts";

// ---------------------------------------------------------------------------------------
// The pure device: no clock, no I/O; everything it does is in the effects it returns.

/** The thermostat's settings; the relay's own (`maxPowerW`, ...) are plug settings. */
interface HeaterSettings {
  /** Heat at or below this temperature. */
  tempOnC: number;
  /** Stop at or above this temperature (above `tempOnC`). */
  tempOffC: number;
  /** Relay settings: minimum switching interval, over-power limit and hold time. */
  relay: PlugSettings;
}

interface HeaterState {
  base: string;
  settings: HeaterSettings;
  /** `auto`: the thermostat runs; `off`: the heater stays off (a boost still works). */
  mode: "auto" | "off";
  /** The thermostat's hysteresis memory: heating is wanted. */
  heatWanted: boolean;
  relay: RelayState;
  tempC: number | null;
  powerW: number;
  energy: EnergyState;
  /** What was last published per state, so only changes go out. */
  published: Record<string, string>;
}

type HeaterEvent =
  | { type: "boot"; nowMs: number }
  | { type: "connected"; nowMs: number }
  | { type: "reading"; nowMs: number; tempC: number }
  | { type: "power"; nowMs: number; powerW: number }
  | { type: "message"; nowMs: number; topic: string; payload: string; retained: boolean }
  | { type: "tick"; nowMs: number };

type HeaterEffect =
  | RelayEffect
  | { type: "publish"; topic: string; payload: string; retain: boolean };

interface HeaterStep {
  state: HeaterState;
  effects: HeaterEffect[];
}

const HEATER_SETTINGS: HeaterSettings = {
  tempOnC: 19.5,
  tempOffC: 20.5,
  // Two minutes between relay changes: a heater must not chatter around its threshold.
  relay: { ...DEFAULT_PLUG_SETTINGS, minSwitchIntervalMs: 120_000 },
};

function initialHeater(base: string): HeaterState {
  return {
    base,
    settings: HEATER_SETTINGS,
    mode: "auto",
    heatWanted: false,
    relay: initialRelayState(),
    tempC: null,
    powerW: 0,
    energy: initialEnergyState(),
    published: {},
  };
}

/** Explicit thresholds, as the fan's: on at or below `temp_on`, off at or above `temp_off`. */
const wantsHeat = (state: HeaterState): boolean => {
  if (state.mode === "off" || state.tempC === null) return false;
  if (state.tempC <= state.settings.tempOnC) return true;
  if (state.tempC >= state.settings.tempOffC) return false;
  return state.heatWanted;
};

/** Applies one MQTT command; returns why it is rejected, or `null`. */
const applyCommand = (
  state: HeaterState,
  param: string,
  payload: string,
  nowMs: number,
  relayEvents: RelayEvent[],
): string | null => {
  if (param === "mode") {
    const mode = payload.trim().toLowerCase();
    if (mode !== "auto" && mode !== "off") return `mode must be AUTO or OFF, got "${payload}"`;
    state.mode = mode;
    return null;
  }
  const number: Result<number> = parseDecimal(payload.trim());
  if (!number.ok) return `${param}: ${number.error}`;
  const value = number.value;
  const settings = state.settings;
  if (param === "temp_on" || param === "temp_off") {
    if (value < 0 || value > 35) return `${param} must be between 0 and 35 °C, got ${value}`;
    const next = param === "temp_on"
      ? { ...settings, tempOnC: value }
      : { ...settings, tempOffC: value };
    if (next.tempOnC >= next.tempOffC) {
      return param === "temp_on"
        ? `temp_on must be below temp_off (${settings.tempOffC} °C), got ${value}`
        : `temp_off must be above temp_on (${settings.tempOnC} °C), got ${value}`;
    }
    state.settings = next;
    return null;
  }
  if (param === "boost") {
    if (value < 0 || value > 3600) return `boost must be 0 to 3600 s, got ${value}`;
    relayEvents.push({ type: "pulse", durationMs: value * 1000, nowMs });
    return null;
  }
  if (param === "max_power") {
    if (value < 0 || value > 4000) return `max_power must be 0 to 4000 W, got ${value}`;
    state.settings = { ...settings, relay: { ...settings.relay, maxPowerW: value } };
    return null;
  }
  return `unknown heater command "${param}" (expected mode, temp_on, temp_off, boost, max_power)`;
};

/** The states the heater publishes, as protocol text. */
const statesOf = (state: HeaterState): Record<string, string> => ({
  power: state.relay.on ? "ON" : "OFF",
  mode: state.mode.toUpperCase(),
  temp_on: formatDecimal(state.settings.tempOnC, 1),
  temp_off: formatDecimal(state.settings.tempOffC, 1),
  max_power: formatDecimal(state.settings.relay.maxPowerW, 0),
  temperature: state.tempC === null ? "None" : formatDecimal(state.tempC, 1),
  watts: formatDecimal(state.powerW, 0),
  energy_total: formatDecimal(energyTotals(state.energy).totalWh, 1),
  fault: state.relay.fault ?? "none",
});

function stepHeater(previous: HeaterState, event: HeaterEvent): HeaterStep {
  const state: HeaterState = { ...previous };
  const effects: HeaterEffect[] = [];
  const relayEvents: RelayEvent[] = [];
  // A mode command is the user taking charge again: it may re-close a relay that the
  // over-power cut-off opened. Otherwise a fault keeps the heater off.
  let overrideFault = false;
  if (event.type === "boot") {
    relayEvents.push({ type: "boot", nowMs: event.nowMs, lastOn: false });
  } else if (event.type === "connected") {
    state.published = {}; // a new session: publish every state again
  } else if (event.type === "reading") {
    state.tempC = event.tempC;
  } else if (event.type === "power") {
    state.powerW = event.powerW;
    state.energy = addPowerSample(state.energy, event.powerW, event.nowMs, {
      tzOffsetMin: 0,
      maxGapMs: 10_000,
    });
    relayEvents.push({ type: "power", powerW: event.powerW, nowMs: event.nowMs });
  } else if (event.type === "message") {
    const head = commandTopic(state.base, "");
    const param = event.topic.slice(head.length);
    // A stale retained command must not switch a heater at every reconnection.
    if (event.retained || !event.topic.startsWith(head) || param.includes("/")) {
      return { state: previous, effects: [] };
    }
    const problem = applyCommand(state, param, event.payload, event.nowMs, relayEvents);
    if (problem !== null) {
      const error = commandErrorMessage(state.base, {
        param,
        payload: event.payload,
        error: problem,
      });
      effects.push({ type: "publish", topic: error.topic, payload: error.payload, retain: false });
    }
    overrideFault = param === "mode";
  }
  relayEvents.push({ type: "tick", nowMs: event.nowMs });
  // The thermostat asks the relay only when no boost is running and no fault holds it.
  state.heatWanted = wantsHeat(state);
  const boosting = previous.relay.pulse !== null || relayEvents.some((e) => e.type === "pulse");
  for (const relayEvent of relayEvents) {
    const stepped = stepRelay(state.relay, relayEvent, state.settings.relay);
    state.relay = stepped.state;
    effects.push(...stepped.effects);
  }
  const asked = state.relay.pendingOn ?? state.relay.on;
  const faultHolds = state.relay.fault !== null && !overrideFault;
  if (!boosting && !faultHolds && event.type !== "boot" && asked !== state.heatWanted) {
    const command: RelayEvent = {
      type: "command",
      action: state.heatWanted ? "on" : "off",
      nowMs: event.nowMs,
    };
    const stepped = stepRelay(state.relay, command, state.settings.relay);
    state.relay = stepped.state;
    effects.push(...stepped.effects);
  }
  // Publish what changed, then the JSON snapshot of everything.
  const states = statesOf(state);
  const changed = Object.keys(states).filter((key) => states[key] !== state.published[key]);
  if (changed.length > 0 && event.type !== "boot") {
    for (const key of changed) {
      effects.push({
        type: "publish",
        topic: stateTopic(state.base, key),
        payload: states[key]!,
        retain: true,
      });
    }
    effects.push({
      type: "publish",
      topic: snapshotTopic(state.base),
      payload: JSON.stringify(states),
      retain: true,
    });
    state.published = states;
  }
  return { state, effects };
}

// ---------------------------------------------------------------------------------------
// The adapter: a room, a relay output, an MQTT link and timers on the virtual clock.

const { values } = parseArgs({
  args: Deno.args,
  options: {
    hours: { type: "string", default: "5" },
    speed: { type: "string" },
    broker: { type: "string" },
    id: { type: "string", default: "heater1" },
  },
});
const hours = Number(values.hours);
if (!(hours > 0) || !isValidDeviceId(values.id)) {
  console.error("usage: custom_device.ts [--hours N] [--speed N] [--broker URL] [--id heater1]");
  Deno.exit(2);
}
const base = `heaters/${values.id}`;
const HEATER_W = 2000;

const startMs = Date.UTC(2026, 0, 15, 6, 0);
const clock = new VirtualClock({ startMs });
const hhmm = (): string => new Date(clock.nowMs()).toISOString().slice(11, 16);

// A room losing 60 W per kelvin to 5 °C outside, holding 1.5 MJ per kelvin.
const room = { tempC: 17, outdoorC: 5, lossWPerK: 60, capacityJPerK: 1.5e6 };
let relayClosed = false;
const warmRoom = (dtMs: number): void => {
  const heatW = (relayClosed ? HEATER_W : 0) - room.lossWPerK * (room.tempC - room.outdoorC);
  room.tempC += (heatW * dtMs) / 1000 / room.capacityJPerK;
};

let broker: BrokerHandle | null = null;
let brokerUrl = values.broker ?? "";
if (brokerUrl === "") {
  broker = await startBroker({ port: 0 });
  brokerUrl = broker.url;
}

const link = mqttJsLink({ url: brokerUrl, clientId: `housegrid-${values.id}` });
let heater = initialHeater(base);
let tickTimer: number | null = null;
const run = (event: HeaterEvent): void => {
  const step = stepHeater(heater, event);
  heater = step.state;
  for (const effect of step.effects) {
    if (effect.type === "relay") relayClosed = effect.on;
    if (effect.type === "publish") link.publish(effect.topic, effect.payload, effect.retain);
  }
  // One timer for the relay's next deadline (end of a boost, a held switch).
  if (tickTimer !== null) clock.clearTimer(tickTimer);
  const deadlineMs = nextRelayDeadlineMs(heater.relay, heater.settings.relay);
  tickTimer = deadlineMs === null
    ? null
    : clock.setTimer(() => run({ type: "tick", nowMs: clock.nowMs() }), deadlineMs - clock.nowMs());
};

run({ type: "boot", nowMs: clock.nowMs() });
await new Promise<void>((resolve) => {
  link.open(availabilityTopic(base), {
    onConnect() {
      link.publish(availabilityTopic(base), "online", true);
      link.subscribe(commandFilter(base));
      run({ type: "connected", nowMs: clock.nowMs() });
      resolve();
    },
    onClose() {},
    onMessage(topic, bytes, retained) {
      const text = decodeUtf8(bytes);
      const payload = text.ok ? text.value : "\uFFFD";
      run({ type: "message", nowMs: clock.nowMs(), topic, payload, retained });
    },
  });
});
// Power measured every 5 s (the over-power cut-off trips on samples); temperature every 30 s.
clock.every(5_000, () => {
  warmRoom(5_000);
  run({ type: "power", nowMs: clock.nowMs(), powerW: relayClosed ? HEATER_W : 0 });
});
clock.every(30_000, () => {
  run({ type: "reading", nowMs: clock.nowMs(), tempC: Math.round(room.tempC * 100) / 100 });
});

// ---------------------------------------------------------------------------------------
// A controller: any MQTT client. It prints what the heater says and sends a few commands.

const controller = await mqtt.connectAsync(brokerUrl, { clientId: `controller-${values.id}` });
let shown: Record<string, string> = {};
let answered = (): void => {};
const QUIET = ["temperature", "watts", "energy_total"]; // change all the time: not printed
controller.on("message", (topic, payload) => {
  const text = payload.toString();
  if (topic === availabilityTopic(base)) console.log(`${hhmm()}  ${base} is ${text}`);
  if (topic === `${base}/errors`) {
    console.log(`${hhmm()}  rejected: ${JSON.parse(text).error}`);
    answered();
  }
  if (topic !== snapshotTopic(base)) return;
  // The JSON snapshot carries every state at once, so each line shows a consistent picture.
  const states: Record<string, string> = JSON.parse(text);
  const changes = Object.keys(states).filter((key) =>
    !QUIET.includes(key) && states[key] !== shown[key]
  );
  if (changes.length === 0) {
    shown = states;
    return;
  }
  if (Object.keys(shown).length === 0) {
    console.log(
      `${hhmm()}  heater ${states.power}, mode ${states.mode}, temp_on ${states.temp_on} °C, ` +
        `temp_off ${states.temp_off} °C, max_power ${states.max_power} W`,
    );
  } else {
    for (const key of changes) {
      console.log(
        key === "power"
          ? `${hhmm()}  heater ${states.power} at ${states.temperature} °C`
          : `${hhmm()}  ${key} = ${states[key]}`,
      );
    }
  }
  shown = states;
  answered();
});
await controller.subscribeAsync(`${base}/#`, { qos: 1 });

/** Sends a command and waits (wall time) for an answer (an error or a change) or 2 s. */
const send = async (param: string, payload: string): Promise<void> => {
  console.log(`${hhmm()}  -> ${param} ${payload}`);
  const answer = new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, 2000);
    answered = () => {
      clearTimeout(timer);
      answered = () => {};
      resolve();
    };
  });
  await controller.publishAsync(commandTopic(base, param), payload);
  await answer;
};

const script: Array<[minute: number, param: string, payload: string]> = [
  [60, "temp_on", "21"], // rejected: temp_off is still 20.5
  [60, "temp_off", "22"],
  [60, "temp_on", "21"],
  [150, "mode", "OFF"],
  [180, "boost", "600"], // ten minutes of heat while off
  [210, "mode", "AUTO"],
  [240, "max_power", "1500"], // below the heater's 2000 W: the relay cuts off
  [270, "max_power", "0"],
  [270, "mode", "AUTO"], // a mode command re-arms the heater after a fault
];

console.log(`${hhmm()}  ${base} on ${brokerUrl}, room at ${room.tempC} °C`);
const realtime = values.speed === undefined ? null : startRealtime(clock, Number(values.speed));
if (realtime !== null) {
  const { hostname, port } = new URL(brokerUrl);
  console.log(
    `       try: mosquitto_pub -h ${hostname} -p ${port} -t ${base}/commands/temp_off -m 23`,
  );
}
/** Lets virtual time reach `untilMs`: as fast as possible, or by waiting at --speed. */
const runTo = async (untilMs: number): Promise<void> => {
  if (realtime === null) {
    // Yield to the event loop every 10 virtual seconds so MQTT traffic keeps flowing.
    await clock.runFast(untilMs, undefined, { yieldEveryVirtualMs: 10_000 });
    return;
  }
  while (clock.nowMs() < untilMs) await new Promise((resolve) => setTimeout(resolve, 50));
};
const endMs = startMs + hours * 3_600_000;
for (const [minute, param, payload] of script) {
  const atMs = startMs + minute * 60_000;
  if (atMs >= endMs) break;
  await runTo(atMs);
  await send(param, payload);
}
await runTo(endMs);
realtime?.stop();
await new Promise((resolve) => setTimeout(resolve, 50)); // the last answers arrive
const total = energyTotals(heater.energy).totalWh;
console.log(
  `${hhmm()}  done: room at ${room.tempC.toFixed(1)} °C, heater used ${
    (total / 1000).toFixed(2)
  } kWh`,
);
await controller.endAsync();
await link.close();
await broker?.stop();
