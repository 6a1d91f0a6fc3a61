/**
 * Metering a plug from raw ADC samples: what a plug's firmware does once a second.
 *
 * Each second a burst of raw 12-bit ADC counts is taken on the current and the voltage
 * channel (here: synthesized from a load profile, with an offset, noise and quantisation,
 * as a real front end delivers them). `measurePower` turns a burst into RMS volts and amps,
 * real power and power factor; `addPowerSample` integrates the power into exact energy
 * totals, with the local-midnight split into today and yesterday. The run starts at 23:40
 * so the midnight rollover shows.
 *
 * Run: `deno run examples/plug_metering.ts [--minutes 60] [--every 5]`
 *
 * @module
 */

import { parseArgs } from "node:util";
import {
  addPowerSample,
  calibrationFromSettings,
  DEFAULT_PLUG_SETTINGS,
  energyTotals,
  initialEnergyState,
  measurePower,
  PLUG_MAX_GAP_MS,
  type PlugSettings,
  type SampleBurst,
} from "../mod.ts";

/** One stretch of the load profile: what is plugged in and drawing power. */
interface LoadStretch {
  fromMin: number;
  name: string;
  powerW: number;
  /** cos(phi): below 1 the current lags the voltage (motors, chargers). */
  powerFactor: number;
}

// Repeats every 30 minutes: a standby load, a kettle boiling, a fridge compressor.
const PROFILE: LoadStretch[] = [
  { fromMin: 0, name: "standby", powerW: 3, powerFactor: 0.45 },
  { fromMin: 4, name: "kettle", powerW: 2000, powerFactor: 1 },
  { fromMin: 7, name: "standby", powerW: 3, powerFactor: 0.45 },
  { fromMin: 12, name: "fridge", powerW: 120, powerFactor: 0.7 },
  { fromMin: 24, name: "standby", powerW: 3, powerFactor: 0.45 },
];
const PROFILE_PERIOD_MIN = 30;

const loadAt = (minute: number): LoadStretch => {
  const inPeriod = minute % PROFILE_PERIOD_MIN;
  return PROFILE.findLast((stretch) => stretch.fromMin <= inPeriod) ?? PROFILE[0]!;
};

// The board: a 12-bit ADC centred at 2048 counts, 0.01 A and 0.2 V per count. The gains
// are plug settings (`current_gain`, `voltage_gain`), set once per board by calibration.
const settings: PlugSettings = { ...DEFAULT_PLUG_SETTINGS, currentGainA: 0.01, voltageGainV: 0.2 };
const MAINS_HZ = 50;
const MAINS_V = 230;
const calibration = calibrationFromSettings(settings, MAINS_HZ);
const ADC_MIDPOINT = 2048;
const ADC_MAX = 4095;
// 10 mains cycles at 20 samples per cycle: the accuracy envelope power.ts documents.
const SAMPLE_RATE_HZ = 1000;
const BURST_SAMPLES = 200;

// A fixed-seed generator, so every run prints the same figures.
let seed = 12345;
const noise = (amplitude: number): number => {
  seed = (seed * 1103515245 + 12345) % 2147483648;
  return (seed / 2147483648 - 0.5) * 2 * amplitude;
};

/** What the ADC would read for one load: a sine on each channel, offset, noisy, rounded. */
function synthesizeBurst(load: LoadStretch, startS: number): SampleBurst {
  const currentRmsA = load.powerW / (MAINS_V * load.powerFactor);
  const lagRad = Math.acos(load.powerFactor);
  const current = new Uint16Array(BURST_SAMPLES);
  const voltage = new Uint16Array(BURST_SAMPLES);
  const toCounts = (value: number): number =>
    Math.min(ADC_MAX, Math.max(0, Math.round(ADC_MIDPOINT + value + noise(1))));
  for (let n = 0; n < BURST_SAMPLES; n++) {
    // The burst starts at an arbitrary point of the mains cycle, as a real one does.
    const angle = 2 * Math.PI * MAINS_HZ * (startS + n / SAMPLE_RATE_HZ);
    voltage[n] = toCounts((Math.SQRT2 * MAINS_V * Math.sin(angle)) / settings.voltageGainV);
    current[n] = toCounts(
      (Math.SQRT2 * currentRmsA * Math.sin(angle - lagRad)) / settings.currentGainA,
    );
  }
  return { sampleRateHz: SAMPLE_RATE_HZ, current, voltage };
}

const { values } = parseArgs({
  args: Deno.args,
  options: {
    minutes: { type: "string", default: "60" },
    every: { type: "string", default: "5" },
  },
});
const minutes = Number(values.minutes);
const everyMin = Number(values.every);
if (!(minutes > 0) || !(everyMin > 0)) {
  console.error("usage: plug_metering.ts [--minutes N] [--every N] (both above 0)");
  Deno.exit(2);
}

const startMs = Date.UTC(2026, 0, 15, 23, 40);
const energyOptions = { tzOffsetMin: settings.tzOffsetMin, maxGapMs: PLUG_MAX_GAP_MS };
let energy = initialEnergyState();
let expectedWh = 0;
const hhmm = (ms: number): string => new Date(ms).toISOString().slice(11, 19);
const cell = (value: number, decimals: number, width: number): string =>
  value.toFixed(decimals).padStart(width);

console.log("time (UTC)  load       volts    amps    watts    pf   today Wh   total Wh");
for (let second = 0; second <= minutes * 60; second++) {
  const nowMs = startMs + second * 1000;
  const load = loadAt(second / 60);
  const measured = measurePower(synthesizeBurst(load, second), calibration);
  if (!measured.ok) throw new Error(measured.error); // only a broken burst or calibration fails
  const reading = measured.value;
  // Energy counts consumption only; noise on a tiny load can read a hair below zero.
  energy = addPowerSample(energy, Math.max(0, reading.powerW), nowMs, energyOptions);
  // The exact answer: each second's true power, held until the next sample (as counted).
  if (second < minutes * 60) expectedWh += load.powerW / 3600;
  if (second % Math.round(everyMin * 60) === 0) {
    const totals = energyTotals(energy);
    console.log(
      `${hhmm(nowMs)}    ${load.name.padEnd(8)} ${cell(reading.voltageV, 1, 6)} ` +
        `${cell(reading.currentA, 3, 7)} ${cell(reading.powerW, 1, 8)} ` +
        `${cell(reading.powerFactor, 2, 5)} ${cell(totals.todayWh, 3, 10)} ` +
        `${cell(totals.totalWh, 3, 10)}`,
    );
  }
}

const totals = energyTotals(energy);
const errorPct = (100 * (totals.totalWh - expectedWh)) / expectedWh;
console.log(
  `\nenergy: total ${totals.totalWh.toFixed(3)} Wh (today ${totals.todayWh.toFixed(3)}, ` +
    `yesterday ${totals.yesterdayWh.toFixed(3)}); the load profile gives ` +
    `${expectedWh.toFixed(3)} Wh: ${errorPct.toFixed(3)} % apart`,
);

// A board with only a current channel (an ESP8266 has one ADC) gets `Irms x nominal V`,
// flagged as an estimate: right for the kettle, too high for the fridge's motor.
for (const name of ["kettle", "fridge"]) {
  const load = PROFILE.find((stretch) => stretch.name === name)!;
  const burst = synthesizeBurst(load, 0);
  const currentOnly = measurePower({ sampleRateHz: burst.sampleRateHz, current: burst.current }, {
    ...calibration,
    nominalVoltageV: settings.nominalVoltageV,
  });
  if (currentOnly.ok) {
    console.log(
      `current only, ${name}: ${currentOnly.value.powerW.toFixed(1)} W ` +
        `(estimated: ${currentOnly.value.estimated}; true ${load.powerW} W)`,
    );
  }
}
