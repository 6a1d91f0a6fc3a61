import assert from "node:assert/strict";
import fc from "fast-check";
import {
  effectPublishes,
  publishBatch,
  publishedPayload,
  type PublishedStates,
  publishStep,
} from "./device_effects.ts";
import { encodeSnapshot, plugStateMessages, type PlugStates } from "./protocol_states.ts";
import { DEFAULT_PLUG_SETTINGS } from "./settings.ts";

const BASE = "plugs/p";
const MEASURED = ["watts", "uptime"];
const NETWORK = { rssiDbm: -61, ssid: "home", ip: "192.168.1.20", mac: "aa:bb:cc:dd:ee:ff" };

const statesArbitrary = fc.record({
  on: fc.boolean(),
  powerW: fc.constantFrom(0, 1, 12.5, null),
  // Any text, newlines and `=` included: the published record must keep it apart.
  fault: fc.option(fc.oneof(fc.constant("over_power"), fc.string()), { nil: null }),
  uptimeMs: fc.constantFrom(0, 1000, 5000),
}).map((varied): PlugStates => ({
  on: varied.on,
  powerW: varied.powerW,
  voltageV: null,
  currentA: null,
  powerFactor: null,
  apparentVA: null,
  energyTotalWh: 0,
  energyTodayWh: 0,
  energyYesterdayWh: 0,
  fault: varied.fault,
  settings: DEFAULT_PLUG_SETTINGS,
  network: NETWORK,
  uptimeMs: varied.uptimeMs,
}));

const stepsArbitrary = fc.array(
  fc.record({ states: statesArbitrary, everything: fc.boolean(), snapshotOnly: fc.boolean() }),
  { minLength: 1, maxLength: 30 },
);

// The plug's state parameters in protocol order: the record's entries are in that order.
const PARAMS = plugStateMessages(BASE, fc.sample(statesArbitrary, { numRuns: 1, seed: 0 })[0]!)
  .map((message) => message.param);

// The record's entries, read from its text as a whole.
const recordOf = (published: PublishedStates): Record<string, string> => {
  const record: Record<string, string> = {};
  const entries = published.split("\n").slice(1);
  assert.ok(entries.length <= PARAMS.length, "an entry per state at most");
  entries.forEach((entry, position) => {
    if (entry !== "") record[PARAMS[position]!] = JSON.parse(entry);
  });
  return record;
};

const batchOf = (
  states: PlugStates,
  published: PublishedStates | null,
  everything: boolean,
  snapshotOnly: boolean,
) => {
  const batch = publishBatch("plugs", BASE, states, published, everything, MEASURED, snapshotOnly);
  const sent = effectPublishes(batch.effect === null ? [] : [batch.effect]);
  return { published: batch.published, sent: sent };
};

Deno.test("property: the published record is what the broker retains, but for readings in the full mode", () => {
  fc.assert(fc.property(stepsArbitrary, (steps) => {
    let published: PublishedStates | null = null;
    const retained: Record<string, string> = {};
    for (const step of steps) {
      const batch = batchOf(step.states, published, step.everything, step.snapshotOnly);
      for (const message of batch.sent) {
        assert.equal(message.retain, true);
        if (message.topic !== BASE + "/state") {
          retained[message.topic.slice((BASE + "/states/").length)] = message.payload;
        }
      }
      published = batch.published;
      const record = recordOf(published);
      for (const param of Object.keys(record)) assert.equal(record[param], retained[param]);
      for (const param of Object.keys(retained)) {
        if (MEASURED.includes(param) && !step.snapshotOnly) continue;
        const position = PARAMS.indexOf(param);
        assert.equal(publishedPayload(published, position), retained[param], param);
      }
    }
  }));
});

Deno.test("property: full mode sends changes at once and readings at telemetry time", () => {
  fc.assert(fc.property(stepsArbitrary, (steps) => {
    let published: PublishedStates | null = null;
    for (const step of steps) {
      const batch = batchOf(step.states, published, step.everything, false);
      const sent = batch.sent.map((message) => message.topic);
      const messages = plugStateMessages(BASE, step.states);
      for (const [position, message] of messages.entries()) {
        const changed = publishedPayload(published, position) !== message.payload;
        const expected = step.everything || (changed && !MEASURED.includes(message.param));
        assert.equal(sent.includes(message.topic), expected, message.param);
      }
      // In protocol order, the snapshot last.
      const order = messages.map((message) => message.topic).filter((t) => sent.includes(t));
      if (sent.length > 0) assert.deepEqual(sent, order.concat([BASE + "/state"]));
      published = batch.published;
    }
  }));
});

Deno.test("property: snapshot mode keeps readings out of their topics and sends the snapshot each period", () => {
  fc.assert(fc.property(stepsArbitrary, (steps) => {
    let published: PublishedStates | null = null;
    for (const step of steps) {
      const batch = batchOf(step.states, published, step.everything, true);
      for (const message of batch.sent) {
        const param = message.topic.slice((BASE + "/states/").length);
        if (MEASURED.includes(param)) assert.equal(message.payload, "");
      }
      const sent = batch.sent.map((message) => message.topic);
      if (step.everything) {
        assert.equal(sent.at(-1), BASE + "/state");
        assert.equal(batch.sent.at(-1)?.payload, encodeSnapshot("plugs", step.states));
      }
      for (const [position, message] of plugStateMessages(BASE, step.states).entries()) {
        if (MEASURED.includes(message.param)) continue;
        const changed = publishedPayload(published, position) !== message.payload;
        assert.equal(sent.includes(message.topic), changed, message.param);
      }
      published = batch.published;
    }
  }));
});

Deno.test("a step that publishes nothing keeps the same state object", () => {
  const state = { base: BASE, connected: true, published: null, lastTelemetryMs: 0 };
  const statesOf = () => fc.sample(statesArbitrary, { numRuns: 1, seed: 1 })[0]!;
  const step = (from: typeof state, nowMs: number, everything: boolean) =>
    publishStep("plugs", from, nowMs, [], everything, statesOf, MEASURED, false);
  const first = step(state, 0, true);
  assert.equal(step(first.state, 10, false).state, first.state);
  const offline = Object.assign({}, first.state, { connected: false });
  assert.equal(step(offline, 10, false).state, offline);
  const due = step(offline, 70000, true);
  assert.equal(due.state.lastTelemetryMs, 70000);
  assert.deepEqual(due.effects, []);
});

Deno.test("in the full mode readings are not remembered; a switch to the snapshot mode clears them once", () => {
  const states = fc.sample(statesArbitrary, { numRuns: 1, seed: 2 })[0]!;
  const full = batchOf(states, null, true, false);
  assert.deepEqual(Object.keys(recordOf(full.published)).filter((p) => MEASURED.includes(p)), []);
  assert.ok(full.sent.some((message) => message.topic === BASE + "/states/watts"));
  const snapshot = batchOf(states, full.published, false, true);
  const cleared = snapshot.sent.filter((message) => message.payload === "");
  assert.deepEqual(
    cleared.map((message) => message.topic),
    MEASURED.map((p) => BASE + "/states/" + p),
  );
  assert.equal(batchOf(states, snapshot.published, false, true).sent.length, 0);
});
