import assert from "node:assert/strict";
import { type SessionPersistence, skipOfflineLookups } from "./broker_sessions.ts";

const fake = () => {
  const calls: string[] = [];
  const persistence: SessionPersistence = {
    addSubscriptions: (_client, _subs, done) => {
      calls.push("add");
      done?.();
    },
    subscriptionsByTopic: (topic, done) => {
      calls.push(`lookup ${topic}`);
      done?.(null, [{ clientId: "keeper", topic }]);
    },
  };
  return { calls, persistence };
};

Deno.test("skipOfflineLookups: answers none later, without asking, until a session persists", async () => {
  const { calls, persistence } = fake();
  const persistent = skipOfflineLookups(persistence);
  let answered: unknown[] | null = null;
  persistence.subscriptionsByTopic("a/b", (error, subs) => {
    assert.equal(error, null);
    answered = subs;
  });
  assert.equal(answered, null, "the callback comes later, as from the store");
  await new Promise((resolve) => setTimeout(resolve, 0));
  assert.deepEqual(answered, []);
  assert.deepEqual(calls, []);
  assert.equal(persistent(), false);

  await new Promise<void>((resolve) => persistence.addSubscriptions({}, [], () => resolve()));
  const found = await new Promise((resolve) =>
    persistence.subscriptionsByTopic("a/b", (_error, subs) => resolve(subs))
  );
  assert.deepEqual(found, [{ clientId: "keeper", topic: "a/b" }]);
  assert.deepEqual(calls, ["add", "lookup a/b"]);
  assert.equal(persistent(), true);
});
