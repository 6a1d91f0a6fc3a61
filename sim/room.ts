/**
 * A bathroom or toilet for the simulated fan: air temperature and water vapour, moved by
 * showers and visits, wet surfaces, the fan, natural leakage and the house around it, plus
 * the air standing in the fan's duct, which is what a duct-mounted sensor reads.
 *
 * Humidity is kept as vapour density (g/m³) so that warming the air lowers its relative
 * humidity as it should. Air above about 96 %RH condenses onto walls and mirror; the wet
 * surfaces give the water back slowly, which is why a room stays damp after a shower.
 * Shower and visit times come from the seeded helpers in `occupancy.ts`.
 *
 * @module
 */

import type { ClimateReading } from "../lib/ports.ts";

/** Physical constants of a room and its duct. */
export interface RoomConfig {
  /** Air volume in m³. */
  volumeM3: number;
  /** Fan extraction per speed step in m³/h; index 0 is off. */
  fanFlowsM3h: readonly number[];
  /** Natural leakage in air changes per hour (door gaps, trickle vents). */
  leakAch: number;
  /** Vapour a running shower puts into the air, g/s. */
  showerVapourGps: number;
  /** Water a running shower leaves on walls, floor and towels, g/s. */
  showerWettingGps: number;
  /** Vapour of a toilet visit (breath, hand washing), g/s. */
  visitVapourGps: number;
  /** Rise a shower would hold the air at if it ran for ever, °C. */
  showerHeatC: number;
  /** Time constant of the air's temperature toward the house, through walls and door. */
  thermalMs: number;
  /** Relative humidity above which vapour condenses on cold surfaces. */
  condensePct: number;
  /** How fast wet surfaces evaporate, m³/s per unit of saturation deficit. */
  evaporationM3s: number;
  /** Surface water at which surfaces count as fully wet, g; they hold three times that. */
  fullyWetG: number;
  /** Time constant with which duct air follows the room while the fan runs. */
  ductLagMs: number;
  /** Time constant with which still duct air drifts toward the air outside the room. */
  ductDriftMs: number;
  /** Share of outdoor air in still duct air (0 = house air, 1 = outdoor air). */
  ductOutdoorShare: number;
}

/** Air around the room: the house it opens onto and the outdoors the duct leads to. */
export interface Ambient {
  /** House air temperature. */
  tempC: number;
  /** House relative humidity. */
  humidityPct: number;
  /** Outdoor temperature. */
  outdoorTempC: number;
  /** Outdoor relative humidity. */
  outdoorHumidityPct: number;
}

/** A parcel of air. */
export interface Air {
  /** Temperature. */
  tempC: number;
  /** Water vapour density, g/m³. */
  vapourGm3: number;
  /** Relative humidity, 0..100. */
  humidityPct: number;
}

/** The state of a room at one moment; {@linkcode stepRoom} gives the next. */
export interface RoomState extends Air {
  /** The room's constants. */
  config: RoomConfig;
  /** The surroundings. */
  ambient: Ambient;
  /** Water lying on surfaces, g. */
  surfaceWaterG: number;
  /** Air in the fan duct, where a duct sensor sits. */
  duct: Air;
}

/** What drives a room during one step. */
export interface RoomInputs {
  /** Fan speed step; 0 is off; clamped to the fan's steps. */
  fanSpeed: number;
  /** Whether a shower runs. */
  showerOn?: boolean;
  /** Whether someone is in (a toilet visit). */
  visitOn?: boolean;
}

/**
 * A bathroom of 8 m³ with a two-speed fan (60 and 110 m³/h).
 *
 * @example
 * ```ts
 * import { BATHROOM } from "./room.ts";
 * import assert from "node:assert/strict";
 * assert.deepEqual(BATHROOM.fanFlowsM3h, [0, 60, 110]);
 * ```
 */
export const BATHROOM: Readonly<RoomConfig> = {
  volumeM3: 8,
  fanFlowsM3h: [0, 60, 110],
  leakAch: 2,
  showerVapourGps: 0.2,
  showerWettingGps: 0.25,
  visitVapourGps: 0.01,
  showerHeatC: 6,
  thermalMs: 25 * 60000,
  condensePct: 96,
  evaporationM3s: 0.02,
  fullyWetG: 100,
  ductLagMs: 20000,
  ductDriftMs: 5 * 60000,
  ductOutdoorShare: 0.5,
};

/**
 * A toilet of 3 m³ with a single-speed fan (40 m³/h); visits, no shower.
 *
 * @example
 * ```ts
 * import { TOILET } from "./room.ts";
 * import assert from "node:assert/strict";
 * assert.equal(TOILET.fanFlowsM3h.length, 2);
 * ```
 */
export const TOILET: Readonly<RoomConfig> = {
  ...BATHROOM,
  volumeM3: 3,
  fanFlowsM3h: [0, 40],
  showerVapourGps: 0,
  showerWettingGps: 0,
  visitVapourGps: 0.02,
  showerHeatC: 0,
};

/**
 * A winter house at 21 °C and 50 %RH, 8 °C and 80 %RH outdoors.
 *
 * @example
 * ```ts
 * import { DEFAULT_AMBIENT } from "./room.ts";
 * import assert from "node:assert/strict";
 * assert.equal(DEFAULT_AMBIENT.tempC, 21);
 * ```
 */
export const DEFAULT_AMBIENT: Readonly<Ambient> = {
  tempC: 21,
  humidityPct: 50,
  outdoorTempC: 8,
  outdoorHumidityPct: 80,
};

const MAX_STEP_MS = 1000;

/**
 * Saturation vapour density of air (Magnus formula), g/m³.
 *
 * @param tempC Air temperature.
 * @returns The most vapour the air can hold.
 * @example
 * ```ts
 * import { saturationGm3 } from "./room.ts";
 * import assert from "node:assert/strict";
 * assert.ok(Math.abs(saturationGm3(20) - 17.3) < 0.1);
 * ```
 */
export function saturationGm3(tempC: number): number {
  const hPa = 6.112 * Math.exp((17.62 * tempC) / (243.12 + tempC));
  return (216.7 * hPa) / (tempC + 273.15);
}

/** Builds air of a temperature and vapour density, never above saturation. */
const air = (tempC: number, vapourGm3: number): Air => {
  const saturation = saturationGm3(tempC);
  const vapour = Math.min(Math.max(0, vapourGm3), saturation);
  return { tempC, vapourGm3: vapour, humidityPct: Math.min(100, (100 * vapour) / saturation) };
};

const airAt = (tempC: number, humidityPct: number): Air =>
  air(tempC, (Math.min(100, Math.max(0, humidityPct)) / 100) * saturationGm3(tempC));

/** The still duct's target: a blend of house and outdoor air. */
const outsideAir = (room: RoomState): Air => {
  const a = room.ambient;
  const share = room.config.ductOutdoorShare;
  const house = airAt(a.tempC, a.humidityPct);
  const outdoor = airAt(a.outdoorTempC, a.outdoorHumidityPct);
  return air(
    house.tempC + share * (outdoor.tempC - house.tempC),
    house.vapourGm3 + share * (outdoor.vapourGm3 - house.vapourGm3),
  );
};

/**
 * Creates a room in balance with the house, its duct in balance with the air outside.
 *
 * @param config The room's constants (default {@linkcode BATHROOM}).
 * @param ambient The surroundings (default {@linkcode DEFAULT_AMBIENT}).
 * @returns The room.
 * @example
 * ```ts
 * import { createRoom } from "./room.ts";
 * import assert from "node:assert/strict";
 * const room = createRoom();
 * assert.ok(Math.abs(room.humidityPct - 50) < 1e-9);
 * assert.equal(room.tempC, 21);
 * ```
 */
export function createRoom(
  config: Readonly<RoomConfig> = BATHROOM,
  ambient: Readonly<Ambient> = DEFAULT_AMBIENT,
): RoomState {
  const room: RoomState = {
    ...airAt(ambient.tempC, ambient.humidityPct),
    config: { ...config },
    ambient: { ...ambient },
    surfaceWaterG: 0,
    duct: airAt(ambient.tempC, ambient.humidityPct),
  };
  return { ...room, duct: outsideAir(room) };
}

/**
 * Sets the room air's humidity and/or temperature at once (the simulator's knobs); the
 * vapour content follows, surfaces and duct stay as they are.
 *
 * @param room The room.
 * @param climate The new values; an absent one keeps its value.
 * @returns The new room.
 * @example
 * ```ts
 * import { createRoom, withClimate } from "./room.ts";
 * import assert from "node:assert/strict";
 * const room = withClimate(createRoom(), { humidityPct: 85 });
 * assert.ok(Math.abs(room.humidityPct - 85) < 1e-9);
 * ```
 */
export function withClimate(
  room: RoomState,
  climate: { humidityPct?: number; tempC?: number },
): RoomState {
  const tempC = climate.tempC ?? room.tempC;
  return { ...room, ...airAt(tempC, climate.humidityPct ?? room.humidityPct) };
}

const fanFlowM3h = (config: RoomConfig, speed: number): number => {
  const flows = config.fanFlowsM3h;
  const step = Math.min(flows.length - 1, Math.max(0, Math.floor(speed) || 0));
  return flows[step] ?? 0;
};

const substep = (room: RoomState, dtS: number, inputs: RoomInputs): RoomState => {
  const c = room.config;
  const house = airAt(room.ambient.tempC, room.ambient.humidityPct);
  const fanM3s = fanFlowM3h(c, inputs.fanSpeed) / 3600;
  const exchangePerS = fanM3s / c.volumeM3 + c.leakAch / 3600;
  const saturation = saturationGm3(room.tempC);
  const wetShare = Math.min(1, room.surfaceWaterG / c.fullyWetG);
  const evaporationGps = Math.min(
    room.surfaceWaterG / dtS,
    c.evaporationM3s * wetShare * Math.max(0, saturation - room.vapourGm3),
  );
  // Condensation is fast (10 s) so a shower's vapour cannot push the air past saturation.
  const condensationGps = (Math.max(0, room.vapourGm3 - (c.condensePct / 100) * saturation) *
    c.volumeM3) / 10;
  const showerOn = inputs.showerOn === true;
  const sourceGps = (showerOn ? c.showerVapourGps : 0) + (inputs.visitOn ? c.visitVapourGps : 0);
  const vapourGm3 = room.vapourGm3 +
    dtS * ((sourceGps + evaporationGps - condensationGps) / c.volumeM3 -
        exchangePerS * (room.vapourGm3 - house.vapourGm3));
  // Beyond what surfaces can hold, water runs down the drain.
  const surfaceWaterG = Math.min(
    3 * c.fullyWetG,
    Math.max(
      0,
      room.surfaceWaterG +
        dtS * ((showerOn ? c.showerWettingGps : 0) + condensationGps - evaporationGps),
    ),
  );
  const thermalPerS = 1000 / c.thermalMs;
  const heatingCps = showerOn ? c.showerHeatC * thermalPerS : 0;
  const tempC = room.tempC +
    dtS * (heatingCps - (thermalPerS + exchangePerS) * (room.tempC - house.tempC));
  const next: RoomState = { ...room, ...air(tempC, vapourGm3), surfaceWaterG };
  // A running fan draws room air through the duct; still duct air takes on the outside's.
  const target = fanM3s > 0 ? next : outsideAir(room);
  const ductMs = fanM3s > 0 ? c.ductLagMs : c.ductDriftMs;
  const k = 1 - Math.exp((-dtS * 1000) / ductMs);
  const d = room.duct;
  next.duct = air(
    d.tempC + k * (target.tempC - d.tempC),
    d.vapourGm3 + k * (target.vapourGm3 - d.vapourGm3),
  );
  return next;
};

/**
 * Advances a room by `dtMs` under constant inputs (internally in steps of at most 1 s).
 *
 * @param room The room now.
 * @param dtMs How long the inputs hold.
 * @param inputs Fan speed, shower, visit.
 * @returns The room `dtMs` later.
 * @example
 * ```ts
 * import { createRoom, stepRoom } from "./room.ts";
 * import assert from "node:assert/strict";
 * const after = stepRoom(createRoom(), 10 * 60000, { fanSpeed: 0, showerOn: true });
 * assert.ok(after.humidityPct > 80);
 * ```
 */
export function stepRoom(room: RoomState, dtMs: number, inputs: RoomInputs): RoomState {
  if (!(dtMs > 0)) return room;
  const steps = Math.ceil(dtMs / MAX_STEP_MS);
  const dtS = dtMs / steps / 1000;
  let next = room;
  for (let n = 0; n < steps; n++) next = substep(next, dtS, inputs);
  return next;
}

/**
 * What a sensor in the room reads.
 *
 * @param room The room.
 * @param atMs When the reading is taken.
 * @returns The reading.
 * @example
 * ```ts
 * import { createRoom, roomReading } from "./room.ts";
 * import assert from "node:assert/strict";
 * assert.equal(roomReading(createRoom(), 5).atMs, 5);
 * ```
 */
export function roomReading(room: RoomState, atMs: number): ClimateReading {
  return { humidityPct: room.humidityPct, tempC: room.tempC, atMs };
}

/**
 * What a sensor in the fan's duct reads: room air a few tens of seconds after the fan
 * starts, otherwise stale air drifting toward house and outdoor air.
 *
 * @param room The room.
 * @param atMs When the reading is taken.
 * @returns The reading.
 * @example
 * ```ts
 * import { createRoom, ductReading } from "./room.ts";
 * import assert from "node:assert/strict";
 * assert.ok(ductReading(createRoom(), 0).tempC < 21); // cooled by the outdoors
 * ```
 */
export function ductReading(room: RoomState, atMs: number): ClimateReading {
  return { humidityPct: room.duct.humidityPct, tempC: room.duct.tempC, atMs };
}
