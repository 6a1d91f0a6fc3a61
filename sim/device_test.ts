import assert from "node:assert/strict";
import { VirtualClock } from "./clock.ts";
import { type MemoryLink, memoryLink } from "./mqtt_link.ts";
import { SimPlug } from "./plug.ts";
import { memoryStore } from "./scenario.ts";

Deno.test("a command from the page that the plug refuses: answered on errors when connected, not fed offline", async () => {
  const clock = new VirtualClock({ startMs: Date.UTC(2026, 0, 5, 12) });
  const links: MemoryLink[] = [];
  const plug = new SimPlug({
    id: "p1",
    prefix: "",
    clock,
    store: memoryStore(),
    link: () => {
      links.push(memoryLink());
      return links.at(-1)!;
    },
  });
  plug.start();
  clock.advanceBy(10000);
  assert.ok(plug.connected);
  const link = links.at(-1)!;
  const errors = () => link.published.filter((message) => message.topic === "plugs/p1/errors");
  assert.match(plug.command("power", "MAYBE") ?? "", /ON, OFF or TOGGLE/);
  assert.equal(errors().length, 1, "the refusal goes out as a refused MQTT command's would");
  assert.equal(plug.command("power", "ON"), null);
  assert.equal(plug.relayOn, true);
  // Past the relay's shortest time between switches.
  clock.advanceBy(5000);
  link.drop();
  assert.ok(!plug.connected);
  assert.match(plug.command("power", "MAYBE") ?? "", /ON, OFF or TOGGLE/);
  assert.equal(plug.command("power", "OFF"), null);
  assert.equal(plug.relayOn, false);
  await plug.stop();
});
