import assert from "node:assert/strict";
import fc from "fast-check";
import { publishBatch, type PublishedStates, publishStep } from "./device_effects.ts";
import type { StateMessage } from "./protocol_states.ts";

const PARAMS = ["power", "fault", "watts", "uptime"];
const MEASURED = ["watts", "uptime"];
const topicOf = (param: string) => "plugs/p/states/" + param;

const messagesArbitrary = fc.tuple(...PARAMS.map(() => fc.constantFrom("0", "1", "ON", "x")))
  .map((payloads): StateMessage[] =>
    PARAMS.map((param, i) => ({
      type: "publish" as const,
      param,
      topic: topicOf(param),
      payload: payloads[i]!,
      retain: true as const,
    }))
  );

const stepsArbitrary = fc.array(
  fc.record({ messages: messagesArbitrary, everything: fc.boolean(), snapshotOnly: fc.boolean() }),
  { minLength: 1, maxLength: 30 },
);

Deno.test("property: the published record is what the broker retains", () => {
  fc.assert(fc.property(stepsArbitrary, (steps) => {
    let published: PublishedStates | null = null;
    const retained: Record<string, string> = {};
    for (const step of steps) {
      const batch = publishBatch(
        "plugs/p",
        step.messages,
        "{}",
        published,
        step.everything,
        MEASURED,
        step.snapshotOnly,
      );
      for (const effect of batch.effects) {
        if (effect.type === "publish" && effect.topic !== "plugs/p/state") {
          retained[effect.topic.slice("plugs/p/states/".length)] = effect.payload;
        }
      }
      published = batch.published;
      assert.deepEqual(published, retained);
    }
  }));
});

Deno.test("property: full mode sends changes at once and readings at telemetry time", () => {
  fc.assert(fc.property(stepsArbitrary, (steps) => {
    let published: PublishedStates | null = null;
    for (const step of steps) {
      const batch = publishBatch(
        "plugs/p",
        step.messages,
        "{}",
        published,
        step.everything,
        MEASURED,
        false,
      );
      const sent = batch.effects.flatMap((e) => e.type === "publish" ? [e.topic] : []);
      for (const message of step.messages) {
        const changed = published === null || published[message.param] !== message.payload;
        const expected = step.everything ||
          (changed && !MEASURED.includes(message.param));
        assert.equal(sent.includes(message.topic), expected, message.param);
      }
      assert.equal(sent.includes("plugs/p/state"), sent.length > 0);
      published = batch.published;
    }
  }));
});

Deno.test("property: snapshot mode keeps readings out of their topics and sends the snapshot each period", () => {
  fc.assert(fc.property(stepsArbitrary, (steps) => {
    let published: PublishedStates | null = null;
    for (const step of steps) {
      const batch = publishBatch(
        "plugs/p",
        step.messages,
        '{"s":1}',
        published,
        step.everything,
        MEASURED,
        true,
      );
      for (const effect of batch.effects) {
        if (effect.type !== "publish") continue;
        const param = effect.topic.slice("plugs/p/states/".length);
        if (MEASURED.includes(param)) assert.equal(effect.payload, "");
      }
      const sent = batch.effects.flatMap((e) => e.type === "publish" ? [e.topic] : []);
      if (step.everything) assert.equal(sent.at(-1), "plugs/p/state");
      for (const message of step.messages) {
        if (MEASURED.includes(message.param)) continue;
        const changed = published === null || published[message.param] !== message.payload;
        assert.equal(sent.includes(message.topic), changed, message.param);
      }
      published = batch.published;
    }
  }));
});

Deno.test("a step that publishes nothing keeps the same state object", () => {
  const state = { base: "plugs/p", connected: true, published: null, lastTelemetryMs: 0 };
  const encode = () => ({
    messages: [{
      type: "publish" as const,
      param: "watts",
      topic: topicOf("watts"),
      payload: "5",
      retain: true as const,
    }],
    snapshot: "{}",
  });
  const first = publishStep(state, 0, [], true, encode, MEASURED, false);
  assert.equal(publishStep(first.state, 10, [], false, encode, MEASURED, false).state, first.state);
  const offline = Object.assign({}, first.state, { connected: false });
  assert.equal(publishStep(offline, 10, [], false, encode, MEASURED, false).state, offline);
  const due = publishStep(offline, 70000, [], true, encode, MEASURED, false);
  assert.equal(due.state.lastTelemetryMs, 70000);
  assert.deepEqual(due.effects, []);
});
