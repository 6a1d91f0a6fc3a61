/**
 * Model-based test of a simulated plug over a real broker: random sequences of MQTT commands,
 * simulator knobs and clock moves (fast-check `fc.commands`), each checked against a small
 * model of the relay rules (minimum switching interval, pulses, power-on state), the
 * settings and the errors a bad command earns.
 */

import assert from "node:assert/strict";
import fc from "fast-check";
import { energyTotals } from "../lib/energy.ts";
import { DEFAULT_PLUG_SETTINGS } from "../lib/settings.ts";
import mqtt, { type MqttClient } from "mqtt";
import { type Rig, sleep, startRig, until } from "./e2e_harness_test.ts";
import { deviceStore } from "./store.ts";

const MIN_SWITCH_MS = DEFAULT_PLUG_SETTINGS.minSwitchIntervalMs;

/** What the plug should be, by the rules of lib/relay.ts and the protocol. */
interface Model {
  nowMs: number;
  on: boolean;
  lastChangeMs: number | null;
  pendingOn: boolean | null;
  pulse: { startMs: number; durationMs: number } | null;
  powerOnState: "off" | "on" | "last";
  maxPowerW: number;
  telemetryS: number;
  energyWh: number | null;
  errors: number;
}

/**
 * The plug under test, and how the test reaches it. Commands and knobs go out from a client
 * without subscriptions, at QoS 1; what the device publishes is observed as the broker routes
 * it (the broker handle's `onPublish`). That keeps a round trip at a few ms: a subscribed
 * client would wait ~40 ms per burst, since the broker's sockets use Nagle's algorithm and
 * the client's kernel delays its ACKs. A subscribed client (the rig's user) still checks what
 * subscribers end up with, once per run.
 */
interface Real {
  rig: Rig;
  id: string;
  base: string;
  sender: MqttClient;
  /** Topic and payload of every message the broker routed from the device, in order. */
  routed: Array<{ topic: string; payload: string }>;
  /** Latest payload per topic routed from the device. */
  latest: Map<string, string>;
  syncs: number;
}

const send = (r: Real, topic: string, payload: string): Promise<unknown> =>
  r.sender.publishAsync(topic, payload, { qos: 1 });

/**
 * Waits until the device has handled everything sent before: a `sync` command with a fresh
 * payload is answered on `<base>/errors` in order. Resent while unanswered, since right after
 * a reboot the device's command subscription may not be in place yet.
 */
const sync = async (r: Real): Promise<void> => {
  const nonce = `sync-${++r.syncs}`;
  const answered = () =>
    r.routed.some((m) => m.topic === `${r.base}/errors` && JSON.parse(m.payload).payload === nonce);
  for (let attempt = 0; attempt < 20 && !answered(); attempt++) {
    await send(r, `${r.base}/commands/sync`, nonce);
    const start = performance.now();
    while (!answered() && performance.now() - start < 100) await sleep(1);
  }
  assert.ok(answered(), `no answer to ${nonce}`);
};

const canSwitch = (m: Model, atMs: number): boolean =>
  m.lastChangeMs === null || atMs - m.lastChangeMs >= MIN_SWITCH_MS;

const move = (m: Model, on: boolean, atMs: number): void => {
  m.on = on;
  m.lastChangeMs = atMs;
  m.pendingOn = null;
  if (on && m.pulse !== null) m.pulse = { startMs: atMs, durationMs: m.pulse.durationMs };
};

const request = (m: Model, on: boolean, atMs: number): void => {
  if (on === m.on) m.pendingOn = null;
  else if (canSwitch(m, atMs)) move(m, on, atMs);
  else m.pendingOn = on;
};

/** Runs the relay's timers (pending change, pulse end) at their exact times up to `toMs`. */
const advanceModel = (m: Model, toMs: number): void => {
  for (;;) {
    let dueMs = Infinity;
    if (m.pendingOn !== null && m.lastChangeMs !== null) dueMs = m.lastChangeMs + MIN_SWITCH_MS;
    if (m.pulse !== null && m.on) dueMs = Math.min(dueMs, m.pulse.startMs + m.pulse.durationMs);
    if (dueMs > toMs) break;
    if (m.pendingOn !== null && canSwitch(m, dueMs)) move(m, m.pendingOn, dueMs);
    const pulse = m.pulse;
    if (pulse !== null && m.on && dueMs - pulse.startMs >= pulse.durationMs) {
      m.pulse = null;
      request(m, false, dueMs);
    }
  }
  m.nowMs = toMs;
};

/** Checks the device and what the broker routed from it against the model. */
const checkAgainst = async (m: Model, r: Real): Promise<void> => {
  await sync(r);
  const plug = r.rig.plug(r.id);
  const state = plug.state!;
  assert.equal(r.rig.clock.nowMs(), m.nowMs);
  assert.equal(state.relay.on, m.on, "relay");
  assert.equal(plug.relayOn, m.on, "relay output");
  assert.equal(state.relay.pendingOn, m.pendingOn, "pending change");
  assert.deepEqual(state.relay.pulse, m.pulse, "pulse");
  assert.equal(state.settings.powerOnState, m.powerOnState);
  assert.equal(state.settings.maxPowerW, m.maxPowerW);
  assert.equal(state.settings.telemetryMs, m.telemetryS * 1000);
  assert.equal(state.relay.fault, null);
  // The relay state kept for power_on_state LAST is the relay's (none before the first move).
  const stored = deviceStore(r.rig.dataDir, r.id).read("relay");
  if (stored !== null || m.on) assert.equal(stored, m.on ? "ON" : "OFF", "stored relay state");
  if (m.energyWh !== null) {
    assert.ok(Math.abs(energyTotals(state.energy).totalWh - m.energyWh) < 1e-6, "energy");
  }
  const errors = r.routed.filter((e) =>
    e.topic === `${r.base}/errors` && JSON.parse(e.payload).param !== "sync"
  );
  assert.equal(errors.length, m.errors, "errors");
  // What subscribers get is what the model says. Retained (QoS 1) states may be routed a
  // moment after the QoS 0 answer to the sync: aedes stores them first.
  const published = Object.entries(publishedStates(m));
  const matches = () =>
    published.every(([topic, payload]) => r.latest.get(`${r.base}/${topic}`) === payload);
  await until(matches, "routed states to match the model", 500).catch(() => {});
  for (const [topic, payload] of published) {
    assert.equal(r.latest.get(`${r.base}/${topic}`), payload, topic);
  }
};

/** The retained states a subscriber should hold, by topic under the base. */
const publishedStates = (m: Model): Record<string, string> => ({
  "states/power": m.on ? "ON" : "OFF",
  "states/power_on_state": m.powerOnState.toUpperCase(),
  "states/max_power": String(m.maxPowerW),
  "states/telemetry": String(m.telemetryS),
  "availability": "online",
});

type Cmd = fc.AsyncCommand<Model, Real>;

/** Sends one MQTT command; `apply` updates the model at the command's time. */
const commandCmd = (
  label: string,
  param: string,
  payload: string,
  apply: (m: Model, atMs: number) => void,
): Cmd => ({
  check: () => true,
  async run(m, r) {
    advanceModel(m, m.nowMs);
    apply(m, m.nowMs);
    await send(r, `${r.base}/commands/${param}`, payload);
    await checkAgainst(m, r);
  },
  toString: () => `${label}(${param}=${JSON.stringify(payload)})`,
});

const randomCase = (word: string) =>
  fc.array(fc.boolean(), { minLength: word.length, maxLength: word.length }).map((upper) =>
    [...word].map((c, i) => (upper[i] ? c.toUpperCase() : c)).join("")
  );

const powerCmd = fc.constantFrom("on", "off", "toggle").chain((action) =>
  randomCase(action).map((payload) =>
    commandCmd("Power", "power", payload, (m, atMs) => {
      const on = action === "toggle" ? !(m.pendingOn ?? m.on) : action === "on";
      m.pulse = null;
      request(m, on, atMs);
    })
  )
);

const pulseCmd = fc.integer({ min: 0, max: 40 }).map((tenths) =>
  commandCmd("Pulse", "pulse", String(tenths / 10), (m, atMs) => {
    const durationMs = tenths * 100;
    if (durationMs > 0) {
      m.pulse = { startMs: atMs, durationMs };
      request(m, true, atMs);
    } else if (m.pulse !== null) {
      m.pulse = null;
      request(m, false, atMs);
    }
  })
);

const powerOnStateCmd = fc.constantFrom("off", "on", "last").chain((mode) =>
  randomCase(mode).map((payload) =>
    commandCmd("PowerOnState", "power_on_state", payload, (m) => {
      m.powerOnState = mode;
    })
  )
);

// Loads stay under 1000 W and a limit is 0 or at least 1000 W: no over-power cut-off here.
const maxPowerCmd = fc.oneof(fc.constant(0), fc.integer({ min: 1000, max: 4000 })).map((w) =>
  commandCmd("MaxPower", "max_power", String(w), (m) => {
    m.maxPowerW = w;
  })
);

const telemetryCmd = fc.oneof(fc.integer({ min: 1, max: 120 }), fc.integer({ max: 86400, min: 1 }))
  .map((s) =>
    commandCmd("Telemetry", "telemetry", String(s), (m) => {
      m.telemetryS = s;
    })
  );

const energyResetCmd = fc.integer({ min: 0, max: 10_000_000 }).map((milliWh) =>
  commandCmd("EnergyReset", "energy_reset", String(milliWh / 1000), (m) => {
    m.energyWh = milliWh / 1000;
  })
);

const badCmd = fc.constantFrom<[string, string]>(
  ["power", "MAYBE"],
  ["power", ""],
  ["power", "ON "],
  ["pulse", "-1"],
  ["pulse", "86401"],
  ["pulse", "1e3"],
  ["power_on_state", "SOMETIMES"],
  ["max_power", "4001"],
  ["max_power", "-1"],
  ["max_power", "12abc"],
  ["telemetry", "0"],
  ["telemetry", "86401"],
  ["telemetry", "NaN"],
  ["energy_reset", "-1"],
  ["energy_reset", "lots"],
  ["min_switch_interval", "1"],
  ["explode", "1"],
  ["power", "O".repeat(300)],
).map(([param, payload]) =>
  commandCmd("Bad", param, payload, (m) => {
    m.errors++;
  })
);

const advanceCmd = fc.integer({ min: 0, max: 5000 }).map((ms): Cmd => ({
  check: () => true,
  async run(m, r) {
    advanceModel(m, m.nowMs + ms);
    // Energy moves with time (the load may be on): stop tracking it until the next reset.
    if (ms > 0) m.energyWh = null;
    await r.rig.advance(ms, 250);
    await checkAgainst(m, r);
  },
  toString: () => `Advance(${ms})`,
}));

const loadCmd = fc.oneof(
  fc.integer({ min: 0, max: 900 }).map(String),
  fc.constantFrom("standby", "none", "300,0.6", "800,-0.9"),
).map((payload): Cmd => ({
  check: () => true,
  async run(m, r) {
    const plug = r.rig.plug(r.id);
    const before = plug.load;
    await send(r, `sim/${r.id}/load`, payload);
    await until(() => plug.load !== before, "the load knob applied");
    await checkAgainst(m, r);
  },
  toString: () => `Load(${payload})`,
}));

const rebootCmd = fc.constant<Cmd>({
  check: () => true,
  async run(m, r) {
    advanceModel(m, m.nowMs);
    // LAST restores the relay as it was when the power went.
    const on = m.powerOnState === "on" || (m.powerOnState === "last" && m.on);
    m.on = on;
    m.lastChangeMs = on ? m.nowMs : null;
    m.pendingOn = null;
    m.pulse = null;
    const plug = r.rig.plug(r.id);
    const boots = plug.boots;
    await send(r, `sim/${r.id}/reboot`, "");
    await until(() => plug.boots === boots + 1 && plug.connected, "the reboot");
    await checkAgainst(m, r);
  },
  toString: () => "Reboot",
});

/** The model of the plug as it stands: the runs share one plug, each starts where it is. */
const modelOf = (r: Real): Model => {
  const state = r.rig.plug(r.id).state!;
  return {
    nowMs: r.rig.clock.nowMs(),
    on: state.relay.on,
    lastChangeMs: state.relay.lastChangeMs,
    pendingOn: state.relay.pendingOn,
    pulse: state.relay.pulse,
    powerOnState: state.settings.powerOnState,
    maxPowerW: state.settings.maxPowerW,
    telemetryS: state.settings.telemetryMs / 1000,
    energyWh: null,
    errors:
      r.routed.filter((e) =>
        e.topic === `${r.base}/errors` && JSON.parse(e.payload).param !== "sync"
      ).length,
  };
};

Deno.test("model: random MQTT commands and knobs against a plug over a real broker", async () => {
  const id = "m1";
  const rig = await startRig({
    devices: [{ kind: "plugs", id, load: "standby" }],
    filters: [`plugs/${id}/#`],
  });
  const sender = await mqtt.connectAsync(rig.broker.url, { reconnectPeriod: 0 });
  (sender.stream as { setNoDelay?: (on: boolean) => void }).setNoDelay?.(true);
  const real: Real = {
    rig,
    id,
    base: `plugs/${id}`,
    sender,
    routed: [],
    latest: new Map(rig.user.latest),
    syncs: 0,
  };
  const decoder = new TextDecoder();
  const unwatch = rig.broker.onPublish((message) => {
    if (message.clientId !== `housegrid-plugs-${id}`) return;
    const payload = decoder.decode(message.payload);
    real.routed.push({ topic: message.topic, payload });
    real.latest.set(message.topic, payload);
  });
  try {
    await fc.assert(
      fc.asyncProperty(
        fc.commands(
          [
            powerCmd,
            powerCmd,
            pulseCmd,
            powerOnStateCmd,
            maxPowerCmd,
            telemetryCmd,
            energyResetCmd,
            badCmd,
            advanceCmd,
            loadCmd,
            rebootCmd,
          ],
          { maxCommands: 12, size: "max" },
        ),
        async (commands) => {
          const model = modelOf(real);
          await fc.asyncModelRun(() => ({ model, real }), commands);
          // A subscriber ends up with the same states (a little later: see Real).
          const expected = Object.entries(publishedStates(model));
          await until(
            () =>
              expected.every(([topic, payload]) =>
                rig.user.latest.get(`${real.base}/${topic}`) === payload
              ),
            "the subscriber's view to match the model",
          );
        },
      ),
      { numRuns: 15 },
    );
  } finally {
    unwatch();
    await sender.endAsync(true);
    await rig.close();
  }
});
