import assert from "node:assert/strict";
import fc from "fast-check";
import {
  type Ambient,
  BATHROOM,
  createRoom,
  DEFAULT_AMBIENT,
  ductReading,
  type RoomInputs,
  roomReading,
  type RoomState,
  saturationGm3,
  stepRoom,
  TOILET,
  withClimate,
} from "./room.ts";

const MINUTE_MS = 60000;

/** Runs minute by minute; returns the room and the minutes until `until` held (or -1). */
function run(
  room: RoomState,
  minutes: number,
  inputs: RoomInputs,
  until?: (r: RoomState) => boolean,
): { room: RoomState; minutes: number } {
  let r = room;
  let hit = -1;
  for (let m = 1; m <= minutes; m++) {
    r = stepRoom(r, MINUTE_MS, inputs);
    if (hit < 0 && until?.(r)) hit = m;
  }
  return { room: r, minutes: hit };
}

const afterShower = (minutes = 10): RoomState =>
  run(createRoom(), minutes, { fanSpeed: 0, showerOn: true }).room;

Deno.test("a shower raises humidity above 80 % within 10 minutes, and warms the room", () => {
  const start = createRoom();
  const { room, minutes } = run(
    start,
    10,
    { fanSpeed: 0, showerOn: true },
    (r) => r.humidityPct > 80,
  );
  assert.ok(minutes > 0 && minutes <= 10, `80 % after ${minutes} min`);
  assert.ok(room.humidityPct > 90 && room.humidityPct <= 100, `${room.humidityPct}`);
  const riseC = room.tempC - start.tempC;
  assert.ok(riseC > 1 && riseC < 5, `rise ${riseC} °C`);
});

Deno.test("after a shower the fan clears the air; without it the room stays damp", () => {
  const below65 = (r: RoomState) => r.humidityPct < 65;
  const high = run(afterShower(), 180, { fanSpeed: 2 }, below65).minutes;
  const low = run(afterShower(), 180, { fanSpeed: 1 }, below65).minutes;
  const none = run(afterShower(), 180, { fanSpeed: 0 }, below65).minutes;
  assert.ok(high > 0 && high <= 30, `high speed: ${high} min`);
  assert.ok(low > high && low <= 45, `low speed: ${low} min`);
  assert.ok(none > 90, `no fan: ${none} min`);
});

Deno.test("after a shower the room returns to the house's temperature and humidity", () => {
  const { room } = run(afterShower(), 6 * 60, { fanSpeed: 0 });
  assert.ok(Math.abs(room.tempC - DEFAULT_AMBIENT.tempC) < 0.05);
  assert.ok(Math.abs(room.humidityPct - DEFAULT_AMBIENT.humidityPct) < 1);
  assert.ok(room.surfaceWaterG < 1);
});

Deno.test("duct: stale air while the fan is off, room air soon after it starts", () => {
  const damp = afterShower();
  const stale = ductReading(damp, 0);
  assert.ok(damp.humidityPct - stale.humidityPct > 20, `duct ${stale.humidityPct} %`);
  assert.ok(stale.tempC < 16, "still duct air is cooled by the outdoors");
  const seconds = (n: number) => stepRoom(damp, n * 1000, { fanSpeed: 1 });
  const at60 = seconds(60);
  assert.ok(Math.abs(ductReading(at60, 0).humidityPct - at60.humidityPct) < 5);
  const at5 = seconds(5);
  assert.ok(at5.humidityPct - ductReading(at5, 0).humidityPct > 10, "airflow takes time");
  // Off again: the duct forgets the room within half an hour.
  const later = run(at60, 30, { fanSpeed: 0 }).room;
  assert.ok(later.humidityPct - ductReading(later, 0).humidityPct > 15);
});

Deno.test("toilet: a visit raises humidity a little", () => {
  const start = createRoom(TOILET);
  const { room } = run(start, 5, { fanSpeed: 0, visitOn: true });
  const rise = room.humidityPct - start.humidityPct;
  assert.ok(rise > 3 && rise < 15, `rise ${rise}`);
  assert.equal(room.tempC, start.tempC);
  // The toilet has one fan step: speed 2 means its highest, speed -1 off.
  const high = stepRoom(room, 10 * MINUTE_MS, { fanSpeed: 2 });
  assert.deepEqual(high, stepRoom(room, 10 * MINUTE_MS, { fanSpeed: 1 }));
  assert.deepEqual(
    stepRoom(room, MINUTE_MS, { fanSpeed: -1 }),
    stepRoom(room, MINUTE_MS, { fanSpeed: 0 }),
  );
});

Deno.test("room: balance, knobs, readings, step splitting", () => {
  const room = createRoom();
  const hour = stepRoom(room, 60 * MINUTE_MS, { fanSpeed: 2 });
  assert.ok(Math.abs(hour.humidityPct - 50) < 1e-6 && Math.abs(hour.tempC - 21) < 1e-9);
  assert.equal(stepRoom(room, 0, { fanSpeed: 1 }), room);
  const oneStep = stepRoom(room, 10 * MINUTE_MS, { fanSpeed: 0, showerOn: true });
  const tenSteps = run(room, 10, { fanSpeed: 0, showerOn: true }).room;
  assert.deepEqual(oneStep, tenSteps);
  const knob = withClimate(room, { humidityPct: 90, tempC: 25 });
  assert.ok(Math.abs(knob.humidityPct - 90) < 1e-9);
  assert.equal(knob.tempC, 25);
  assert.deepEqual(roomReading(knob, 42), { humidityPct: knob.humidityPct, tempC: 25, atMs: 42 });
  assert.equal(withClimate(room, { humidityPct: 150 }).humidityPct, 100);
  assert.ok(Math.abs(saturationGm3(30) - 30.4) < 0.2);
  assert.equal(room.config === BATHROOM, false, "the room holds its own copy of the config");
});

const ambientArb: fc.Arbitrary<Ambient> = fc.record({
  tempC: fc.double({ min: 5, max: 30, noNaN: true }),
  humidityPct: fc.double({ min: 0, max: 100, noNaN: true }),
  outdoorTempC: fc.double({ min: -15, max: 35, noNaN: true }),
  outdoorHumidityPct: fc.double({ min: 0, max: 100, noNaN: true }),
});
const stepArb = fc.record({
  dtMs: fc.integer({ min: 0, max: 20 * MINUTE_MS }),
  inputs: fc.record({
    fanSpeed: fc.integer({ min: -1, max: 4 }),
    showerOn: fc.boolean(),
    visitOn: fc.boolean(),
  }),
});

Deno.test("property: humidity stays within 0..100 % and the state stays physical", () => {
  fc.assert(
    fc.property(
      ambientArb,
      fc.boolean(),
      fc.array(stepArb, { maxLength: 12 }),
      (ambient, toilet, steps) => {
        let room = createRoom(toilet ? TOILET : BATHROOM, ambient);
        const lowC = Math.min(ambient.tempC, ambient.outdoorTempC) - 1e-9;
        const highC = Math.max(ambient.tempC, ambient.outdoorTempC) + room.config.showerHeatC;
        for (const s of steps) {
          room = stepRoom(room, s.dtMs, s.inputs);
          for (const a of [room, room.duct]) {
            if (!(a.humidityPct >= 0 && a.humidityPct <= 100)) return false;
            if (!(a.vapourGm3 >= 0 && a.tempC >= lowC && a.tempC <= highC)) return false;
          }
          if (!(room.surfaceWaterG >= 0)) return false;
        }
        return true;
      },
    ),
    { numRuns: 60 },
  );
});

Deno.test("property: the fan never leaves more vapour than no fan (damp room, dry house)", () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 1, max: 20 }),
      fc.integer({ min: 1, max: 2 }),
      fc.integer({ min: 1, max: 90 }),
      (showerMinutes, speed, minutes) => {
        const damp = afterShower(showerMinutes);
        const withFan = stepRoom(damp, minutes * MINUTE_MS, { fanSpeed: speed });
        const without = stepRoom(damp, minutes * MINUTE_MS, { fanSpeed: 0 });
        return withFan.vapourGm3 <= without.vapourGm3 + 1e-9 &&
          withFan.surfaceWaterG <= without.surfaceWaterG + 1e-9;
      },
    ),
    { numRuns: 40 },
  );
});

Deno.test("property: a shower never lowers the humidity it would otherwise have", () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 0, max: 2 }),
      fc.integer({ min: 1, max: 30 }),
      (speed, minutes) => {
        const room = createRoom();
        const on = stepRoom(room, minutes * MINUTE_MS, { fanSpeed: speed, showerOn: true });
        const off = stepRoom(room, minutes * MINUTE_MS, { fanSpeed: speed });
        return on.vapourGm3 >= off.vapourGm3 && on.tempC >= off.tempC;
      },
    ),
    { numRuns: 30 },
  );
});
