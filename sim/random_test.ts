import assert from "node:assert/strict";
import { createRandom, gaussian, normalTable } from "./random.ts";

Deno.test("createRandom: same seed, same sequence; values in [0, 1)", () => {
  const a = createRandom(5);
  const b = createRandom(5);
  const c = createRandom(6);
  const xs = Array.from({ length: 1000 }, () => a());
  assert.deepEqual(xs, Array.from({ length: 1000 }, () => b()));
  assert.notDeepEqual(xs.slice(0, 10), Array.from({ length: 10 }, () => c()));
  assert.ok(xs.every((x) => x >= 0 && x < 1));
});

Deno.test("normalTable: exactly standard, normal in shape, one table per seed", () => {
  const table = normalTable(4096, createRandom(0x5bd1e995));
  const mean = table.reduce((a, x) => a + x, 0) / table.length;
  const variance = table.reduce((a, x) => a + (x - mean) ** 2, 0) / table.length;
  assert.ok(Math.abs(mean) < 1e-12, `mean ${mean}`);
  assert.ok(Math.abs(variance - 1) < 1e-12, `variance ${variance}`);
  // A normal distribution has 68.3 % within one standard deviation and 95.4 % within two.
  const within = (k: number) => table.filter((x) => Math.abs(x) < k).length / table.length;
  assert.ok(Math.abs(within(1) - 0.683) < 0.03, `within 1 sd: ${within(1)}`);
  assert.ok(Math.abs(within(2) - 0.954) < 0.015, `within 2 sd: ${within(2)}`);
  assert.ok(Math.max(...table.map(Math.abs)) < 6);
  assert.notDeepEqual(table, normalTable(4096, createRandom(1)));
});

Deno.test("normalTable: tiny tables stay finite", () => {
  assert.deepEqual(normalTable(1, createRandom(1)), new Float64Array([0]));
  assert.deepEqual(normalTable(0, createRandom(1)), new Float64Array(0));
  assert.ok(Number.isFinite(gaussian(() => 0)), "u = 1 - 0 never takes log(0)");
});
