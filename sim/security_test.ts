/**
 * `--secure`: the simulator writes per-device and controller credentials, its in-process
 * broker refuses anyone without them, and the ACL keeps each device inside its own topics.
 *
 * @module
 */

import assert from "node:assert/strict";
import mqtt, { type IClientOptions, type MqttClient } from "mqtt";
import { parseCommandLine } from "./cli.ts";
import { startSimulator } from "./main.ts";

interface Credentials {
  controller: { username: string; password: string };
  devices: Record<string, string>;
}

interface Received {
  topic: string;
  payload: string;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** No automatic reconnection, so a refused client stays refused and the test ends cleanly. */
const connect = (url: string, options: IClientOptions): Promise<MqttClient> =>
  mqtt.connectAsync(url, { reconnectPeriod: 0, connectTimeout: 3000, ...options });

const inbox = (client: MqttClient): Received[] => {
  const messages: Received[] = [];
  client.on("message", (topic, payload) => messages.push({ topic, payload: payload.toString() }));
  return messages;
};

const until = async (check: () => boolean, what: string, timeoutMs = 10000): Promise<void> => {
  const start = performance.now();
  while (!check()) {
    if (performance.now() - start > timeoutMs) assert.fail(`timed out waiting for ${what}`);
    await sleep(10);
  }
};

/** The newest payload seen on `topic`, or `undefined`. */
const latest = (messages: Received[], topic: string): string | undefined =>
  messages.findLast((m) => m.topic === topic)?.payload;

/** Connecting must fail: the broker answers CONNACK "bad username or password". */
async function assertRefused(url: string, options: IClientOptions, what: string): Promise<void> {
  let client: MqttClient | null = null;
  await assert.rejects(
    (async () => {
      client = await connect(url, options);
    })(),
    (error: Error & { code?: number }) => {
      assert.equal(error.code, 4, `${what}: ${error.message}`);
      return true;
    },
    what,
  );
  await (client as MqttClient | null)?.endAsync(true);
}

Deno.test("security: --secure credentials, refusals and the per-device ACL", async (t) => {
  const dataDir = await Deno.makeTempDir({ prefix: "housegrid-secure-" });
  const options = parseCommandLine([
    "--secure",
    "--mqtt-port",
    "0",
    "--web-port",
    "0",
    "--speed",
    "60",
    "--data",
    dataDir,
  ]);
  assert.equal(options.command, "run");
  if (options.command !== "run") return;
  const sim = await startSimulator(options);
  const clients: MqttClient[] = [];
  try {
    const file = `${dataDir}/credentials.json`;
    const credentials: Credentials = JSON.parse(await Deno.readTextFile(file));
    const url = sim.brokerUrl;

    await t.step("credentials.json: controller and one password per device, owner-only", () => {
      assert.equal(credentials.controller.username, "controller");
      assert.deepEqual(Object.keys(credentials.devices).sort(), ["fan1", "fan2", "plug1", "plug2"]);
      const passwords = [credentials.controller.password, ...Object.values(credentials.devices)];
      assert.equal(new Set(passwords).size, passwords.length, "passwords are distinct");
      for (const password of passwords) assert.match(password, /^[0-9a-f]{24}$/);
      if (Deno.build.os !== "windows") assert.equal(Deno.statSync(file).mode! & 0o777, 0o600);
    });

    const controller = await connect(url, credentials.controller);
    clients.push(controller);
    const seen = inbox(controller);
    await controller.subscribeAsync("#", { qos: 1 });

    await t.step("every device logs in with its own account and publishes its states", async () => {
      // The ACL lets a device publish only under its own base, so its states prove its login.
      for (const base of ["plugs/plug1", "plugs/plug2", "fans/fan1", "fans/fan2"]) {
        await until(() => latest(seen, `${base}/availability`) === "online", `${base} online`);
        await until(() => latest(seen, `${base}/states/power`) !== undefined, `${base} states`);
      }
      assert.equal(latest(seen, "plugs/plug1/states/power"), "OFF");
    });

    await t.step("anonymous and wrong passwords are refused", async () => {
      await assertRefused(url, {}, "anonymous");
      await assertRefused(url, { username: "plug1", password: "wrong" }, "wrong password");
      await assertRefused(
        url,
        { username: "plug1", password: credentials.devices.plug2 },
        "another device's password",
      );
      await assertRefused(
        url,
        { username: "nobody", password: credentials.controller.password },
        "unknown username",
      );
    });

    await t.step("a device account cannot command another device nor turn its knobs", async () => {
      const intruder = await connect(url, {
        username: "plug2",
        password: credentials.devices.plug2,
      });
      clients.push(intruder);
      const closed = new Promise<void>((resolve) => intruder.once("close", () => resolve()));
      intruder.publish("plugs/plug1/commands/power", "ON");
      intruder.publish("sim/plug1/load", "3000");
      // aedes drops a client whose publish is refused.
      await closed;
      const before = seen.length;
      await sleep(1500); // 90 s of virtual time: more than a telemetry period
      const after = seen.slice(before);
      assert.ok(after.some((m) => m.topic === "plugs/plug1/states/watts"), "telemetry went on");
      assert.ok(!after.some((m) => m.topic.startsWith("plugs/plug1/commands/")));
      assert.ok(!after.some((m) => m.topic.startsWith("sim/plug1/")));
      assert.equal(latest(seen, "plugs/plug1/states/power"), "OFF");
      await intruder.endAsync(true);
    });

    await t.step("a device account may only subscribe inside its own topics", async () => {
      const device = await connect(url, {
        username: "plug2",
        password: credentials.devices.plug2,
      });
      clients.push(device);
      const got = inbox(device);
      const filters = [
        "plugs/plug1/#",
        "#",
        "plugs/+/states/power",
        "sim/plug1/load",
        "plugs/plug2/states/power",
        "sim/plug2/#",
      ];
      // mqtt.js rejects a SUBACK holding any failure; the codes ride on the error.
      const granted = await device.subscribeAsync(filters, { qos: 1 }).then(
        () => assert.fail("every filter was granted"),
        (error: { packet?: { granted?: unknown } }) => error.packet?.granted,
      );
      assert.deepEqual(granted, [0x80, 0x80, 0x80, 0x80, 1, 1]);
      // Its own retained state arrives; nothing of plug1 ever does.
      await until(() => got.some((m) => m.topic === "plugs/plug2/states/power"), "own state");
      await sleep(300);
      assert.deepEqual(got.filter((m) => !m.topic.startsWith("plugs/plug2/")), []);
      await device.endAsync();
    });

    await t.step("the controller commands devices and turns knobs", async () => {
      await controller.publishAsync("sim/plug1/load", "500", { qos: 1 });
      await controller.publishAsync("plugs/plug1/commands/power", "ON", { qos: 1 });
      await until(() => latest(seen, "plugs/plug1/states/power") === "ON", "plug1 ON");
      await until(
        () => Math.abs(Number(latest(seen, "plugs/plug1/states/watts")) - 500) < 25,
        "plug1 drawing 500 W",
      );
      await controller.publishAsync("sim/plug1/load", "a lot", { qos: 1 });
      await until(() => latest(seen, "sim/plug1/errors") !== undefined, "knob error");
    });

    await t.step("no password appears on the web pages", async () => {
      const pages = await Promise.all(
        ["/", "/api/devices"].map(async (path) => (await fetch(sim.webUrl + path)).text()),
      );
      const secrets = [credentials.controller.password, ...Object.values(credentials.devices)];
      for (const page of pages) {
        for (const secret of secrets) assert.ok(!page.includes(secret), "password leaked");
      }
    });
  } finally {
    for (const client of clients) await client.endAsync(true);
    await sim.stop();
    await Deno.remove(dataDir, { recursive: true });
  }
});
