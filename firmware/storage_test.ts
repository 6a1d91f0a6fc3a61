import assert from "node:assert/strict";
import fc from "fast-check";
import type { EspruinoStorage } from "./espruino_types.ts";
import {
  createStore,
  DEFAULT_STORE_LIMITS,
  storeFlush,
  storeNextFlushMs,
  storeRead,
  storeWrite,
} from "./storage.ts";

const fakeStorage = (fail = false) => {
  const files: Record<string, string> = {};
  let writes = 0;
  const storage: EspruinoStorage = {
    read: (name) => files[name],
    write: (name, data) => {
      writes++;
      if (fail) return false;
      files[name] = data;
      return true;
    },
    readJSON: () => undefined,
    writeJSON: () => true,
    erase: (name) => delete files[name],
    getFree: () => 100000,
  };
  return { storage, files, writes: () => writes };
};

Deno.test("unchanged values are not written again", () => {
  const fake = fakeStorage();
  let now = 0;
  const store = createStore(fake.storage, () => now, DEFAULT_STORE_LIMITS);
  storeWrite(store, "settings", "A");
  now = 10000;
  storeWrite(store, "settings", "A");
  assert.equal(fake.writes(), 1);
  assert.equal(store.writes, 1);
  assert.deepEqual(fake.files, { "hg.settings": "A" });
});

Deno.test("a key written too soon is held, readable, and flushed when its interval ends", () => {
  const fake = fakeStorage();
  let now = 1000;
  const store = createStore(fake.storage, () => now, DEFAULT_STORE_LIMITS);
  storeWrite(store, "relay", "ON");
  now = 2000;
  storeWrite(store, "relay", "OFF");
  storeWrite(store, "relay", "ON");
  storeWrite(store, "relay", "OFF");
  assert.equal(fake.files["hg.relay"], "ON");
  assert.equal(storeRead(store, "relay"), "OFF");
  assert.equal(storeNextFlushMs(store), 6000);
  now = 5999;
  storeFlush(store);
  assert.equal(fake.files["hg.relay"], "ON");
  now = 6000;
  storeFlush(store);
  assert.equal(fake.files["hg.relay"], "OFF");
  assert.equal(storeNextFlushMs(store), null);
  assert.equal(fake.writes(), 2);
});

Deno.test("oversized values and failed writes are reported, not thrown", () => {
  const fake = fakeStorage(true);
  const store = createStore(fake.storage, () => 0, DEFAULT_STORE_LIMITS);
  storeWrite(store, "energy", "x".repeat(2000));
  assert.equal(store.lastError, "storage: energy refused (over 1024 characters)");
  assert.equal(fake.writes(), 0);
  storeWrite(store, "energy", "E1");
  assert.equal(store.lastError, "storage: writing energy failed");
  assert.equal(storeRead(store, "missing"), null);
});

Deno.test("whatever the sequence, flash ends with each key's last value, written at most once per interval", () => {
  const op = fc.record({
    key: fc.constantFrom("settings", "energy", "relay"),
    value: fc.constantFrom("a", "b", "c"),
    dt: fc.integer({ min: 0, max: 3000 }),
  });
  fc.assert(
    fc.property(fc.array(op, { maxLength: 60 }), (ops) => {
      const fake = fakeStorage();
      let now = 0;
      const writesAt: Record<string, number[]> = {};
      const storage: EspruinoStorage = Object.assign({}, fake.storage, {
        write: (name: string, data: string) => {
          (writesAt[name] ??= []).push(now);
          return fake.storage.write(name, data);
        },
      });
      const store = createStore(storage, () => now, DEFAULT_STORE_LIMITS);
      const last: Record<string, string> = {};
      for (const item of ops) {
        now += item.dt;
        storeFlush(store);
        storeWrite(store, item.key, item.value);
        last[item.key] = item.value;
        assert.equal(storeRead(store, item.key), item.value);
      }
      now += DEFAULT_STORE_LIMITS.minIntervalMs;
      storeFlush(store);
      for (const key of Object.keys(last)) assert.equal(fake.files["hg." + key], last[key]);
      for (const times of Object.values(writesAt)) {
        for (let i = 1; i < times.length; i++) {
          assert.ok(
            (times[i] as number) - (times[i - 1] as number) >= DEFAULT_STORE_LIMITS.minIntervalMs,
          );
        }
      }
    }),
  );
});
