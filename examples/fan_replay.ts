/**
 * A bathroom fan controller driven by three months of recorded bathroom humidity
 * (`data/bathroom-2016-01-11_2016-04-12.csv`, one reading every 10 minutes): it prints each
 * decision the controller takes, the showers it caught, and a chart.
 *
 * The controller is the library's pure transition `stepFan(state, event, settings)`: the
 * program feeds it a `reading` event per recorded sample and a `tick` at each deadline the
 * controller asks for (`nextFanDeadlineMs`) between samples, which is all a real adapter
 * does with a sensor and a timer.
 *
 * Run: `deno run --allow-read --allow-write examples/fan_replay.ts [--start 2016-01-12]
 * [--days 2] [--set hum_on=75 --set hum_rise=8] [--all] [--svg fan.svg] [--width 72]`
 *
 * - `--set name=value`: change a setting by its MQTT name, checked as the device checks it;
 * - `--all`: also print the short low-speed runs (start-up purge, a check every 30 min);
 * - `--svg FILE`: write an SVG chart instead of printing the ASCII one.
 *
 * @module
 */

import { parseArgs } from "node:util";
import {
  applySettingText,
  type FanEvent,
  type FanReason,
  type FanSettings,
  type FanState,
  initialFanState,
  nextFanDeadlineMs,
  stepFan,
} from "../mod.ts";
import {
  BATHROOM_CSV_URL,
  type ClimateSample,
  findShowers,
  parseBathroomCsv,
} from "../bench/bathroom_data.ts";
import { REPLAY_BASE_SETTINGS, replayFan } from "../bench/fan_replay.ts";
import { renderChart } from "../sim/chart.ts";

const HOUR_MS = 3600000;
const DAY_MS = 24 * HOUR_MS;

const { values } = parseArgs({
  args: Deno.args,
  options: {
    start: { type: "string", default: "2016-01-12" },
    days: { type: "string", default: "2" },
    set: { type: "string", multiple: true, default: [] },
    all: { type: "boolean", default: false },
    svg: { type: "string" },
    width: { type: "string", default: "72" },
  },
});

const fail = (message: string): never => {
  console.error(`fan_replay: ${message}`);
  Deno.exit(2);
};

// The defaults of lib/settings.ts, with the sensor counted valid for 20 minutes: the
// recording has one reading per 10 minutes, a real sensor one every few seconds.
let settings: FanSettings = REPLAY_BASE_SETTINGS;
// Each change is checked against the others (hum_off below hum_on, ...), so a change that
// only fits after a later one (lowering hum_on below the current hum_off) is tried again.
let pending = values.set;
while (pending.length > 0) {
  const failed: string[] = [];
  let lastError = "";
  for (const assignment of pending) {
    const equals = assignment.indexOf("=");
    if (equals < 0) fail(`--set wants name=value, got "${assignment}"`);
    const name = assignment.slice(0, equals);
    const changed = applySettingText("fans", settings, name, assignment.slice(equals + 1));
    if (changed.ok) {
      settings = changed.value;
    } else {
      lastError = changed.error;
      failed.push(assignment);
    }
  }
  if (failed.length === pending.length) fail(lastError);
  pending = failed;
}

const recorded = parseBathroomCsv(await Deno.readTextFile(BATHROOM_CSV_URL));
// Time stamps are the recording's local time, read as if UTC: days start at midnight.
const startMs = Date.parse(`${values.start}T00:00Z`);
const days = Number(values.days);
if (!isFinite(startMs)) fail(`--start must be a date like 2016-02-01, got "${values.start}"`);
if (!(days > 0)) fail(`--days must be above 0, got "${values.days}"`);
const samples = recorded.filter((s) => s.atMs >= startMs && s.atMs < startMs + days * DAY_MS);
if (samples.length === 0) {
  fail(`no recorded data from ${values.start}; it covers 2016-01-11 to 2016-04-12`);
}

/** One point of the replay's timeline: after a reading, or after the fan changed. */
interface Point {
  atMs: number;
  humidityPct: number;
  speed: number;
  reason: FanReason;
}
const timeline: Point[] = [];
const when = (ms: number): string => new Date(ms).toISOString().slice(0, 16).replace("T", " ");
const isDemand = (reason: FanReason): boolean => reason !== "purge" && reason !== "check";

const showers = findShowers(samples);
const onsets = new Map(showers.map((shower) => [shower.atMs, shower]));
let state: FanState = initialFanState(samples[0]!.atMs);
let lastHumidityPct = samples[0]!.humidityPct;
let lowSpeedRuns = 0;

/** Steps the controller and prints what changed. */
const send = (event: FanEvent): void => {
  const before = state;
  state = stepFan(state, event, settings).state;
  const changed = state.speed !== before.speed || state.reason !== before.reason;
  if (changed) {
    timeline.push({
      atMs: state.nowMs,
      humidityPct: lastHumidityPct,
      speed: state.speed,
      reason: state.reason,
    });
    if (state.speed > 0 && !isDemand(state.reason)) lowSpeedRuns++;
    // Purge and check runs are short, low-speed and frequent: shown with --all only.
    const quiet = !isDemand(state.reason) || (state.speed === 0 && !isDemand(before.reason));
    if (values.all || !quiet) {
      const what = state.speed === 0 ? `off (was ${before.reason})` : `speed ${state.speed}`;
      console.log(
        `${when(state.nowMs)}  ${lastHumidityPct.toFixed(1).padStart(5)} %RH  fan ${
          what.padEnd(22)
        } reason: ${state.reason}`,
      );
    }
  }
};

console.log(
  `Replaying ${samples.length} readings from ${when(samples[0]!.atMs)} ` +
    `(hum_on ${settings.humOnPct}, hum_off ${settings.humOffPct}, hum_rise ${settings.humRisePct} %RH)\n`,
);
send({ type: "boot", nowMs: samples[0]!.atMs });
send({ type: "network", nowMs: samples[0]!.atMs, up: true });
for (const sample of samples) {
  // Ticks at each deadline before the reading: the ends of purge, check and min_on runs.
  for (;;) {
    const deadlineMs = nextFanDeadlineMs(state, settings);
    if (deadlineMs === null || deadlineMs >= sample.atMs) break;
    send({ type: "tick", nowMs: deadlineMs });
  }
  const shower = onsets.get(sample.atMs);
  if (shower !== undefined) {
    console.log(
      `${when(sample.atMs)}  ${sample.humidityPct.toFixed(1).padStart(5)} %RH  ` +
        `shower starts (+${(sample.humidityPct - shower.prePct).toFixed(1)} %RH)`,
    );
  }
  lastHumidityPct = sample.humidityPct;
  send({
    type: "reading",
    nowMs: sample.atMs,
    humidityPct: sample.humidityPct,
    tempC: sample.tempC,
  });
  timeline.push({
    atMs: sample.atMs,
    humidityPct: sample.humidityPct,
    speed: state.speed,
    reason: state.reason,
  });
}

// The same score as bench/FAN_REPLAY.md, for this window.
const score = replayFan("window", samples, showers, settings);
console.log(
  `\n${score.caught} of ${score.showers} showers caught (fan on for humidity within 30 min); ` +
    `${score.demandHours.toFixed(1)} h at speed for humidity, of which ` +
    `${score.wastedHours.toFixed(1)} h outside any shower's wet period; ` +
    `${lowSpeedRuns} low-speed purge/check runs (${score.lowSpeedHours.toFixed(1)} h).\n`,
);

if (values.svg !== undefined) {
  await Deno.writeTextFile(values.svg, svgChart(timeline, samples));
  console.log(`chart written to ${values.svg}`);
} else {
  console.log(asciiChart(timeline, startMs, days, Number(values.width) || 72));
}

/** Humidity as rows of `*`, the fan as a strip under it, one column per time bucket. */
function asciiChart(points: Point[], fromMs: number, spanDays: number, width: number): string {
  const bucketMs = (spanDays * DAY_MS) / width;
  const humidity: number[] = new Array(width).fill(NaN);
  const fan: string[] = new Array(width).fill(" ");
  const showerMarks: string[] = new Array(width).fill(" ");
  for (const point of points) {
    const column = Math.min(width - 1, Math.floor((point.atMs - fromMs) / bucketMs));
    humidity[column] = Math.max(humidity[column]! || 0, point.humidityPct);
    if (point.speed > 0 && isDemand(point.reason)) fan[column] = "#";
    else if (point.speed > 0 && values.all && fan[column] === " ") fan[column] = ".";
  }
  for (const shower of showers) {
    showerMarks[Math.min(width - 1, Math.floor((shower.atMs - fromMs) / bucketMs))] = "^";
  }
  const lines: string[] = [];
  for (let levelPct = 95; levelPct >= 35; levelPct -= 5) {
    const row = humidity.map((h) => (h >= levelPct - 2.5 && h < levelPct + 2.5 ? "*" : " "));
    const label = levelPct % 10 === 0 ? `${levelPct} %RH` : "";
    lines.push(`${label.padStart(8)} |${row.join("")}`);
  }
  lines.push(`         +${"-".repeat(width)}`);
  const legend = values.all
    ? "# for humidity/temperature, . purge/check"
    : "# running for humidity";
  lines.push(`     fan |${fan.join("")}   ${legend}`);
  lines.push(`  shower |${showerMarks.join("")}`);
  let days = "";
  for (let day = 0; day < spanDays; day++) {
    const label = when(fromMs + day * DAY_MS).slice(5, 10);
    days = days.padEnd(Math.round((day * DAY_MS) / bucketMs)) + label;
  }
  lines.push(`          ${days}`);
  return lines.join("\n");
}

/** The same timeline as an SVG chart (humidity, fan speed, reason bands, showers). */
function svgChart(points: Point[], recordedSamples: ClimateSample[]): string {
  const fromMs = recordedSamples[0]!.atMs;
  const hours = (ms: number): number => (ms - fromMs) / HOUR_MS;
  return renderChart({
    title: "Bathroom fan on recorded humidity",
    subtitle: `${when(fromMs)} + ${days} d; hum_on ${settings.humOnPct}, hum_off ` +
      `${settings.humOffPct}, hum_rise ${settings.humRisePct} %RH`,
    timesH: points.map((p) => hours(p.atMs)),
    xLabel: "hours since the start",
    left: { label: "humidity (%RH)", min: 30, max: 100 },
    right: { label: "fan speed", min: 0, max: settings.maxSpeed, integer: true },
    series: [
      {
        name: "humidity",
        values: points.map((p) => p.humidityPct),
        color: "#1f77b4",
        axis: "left",
      },
      {
        name: "fan speed",
        values: points.map((p) => p.speed),
        color: "#d62728",
        axis: "right",
        step: true,
      },
    ],
    bands: {
      label: "reason",
      values: points.map((p) => p.reason),
      colors: { humidity: "#cfe3f7", purge: "#eeeeee", check: "#eeeeee", safety: "#f7d0d0" },
    },
    spans: [{
      name: "shower (wet period)",
      color: "#7b3294",
      rangesH: showers.map((s) => [hours(s.wetStartMs), hours(s.wetEndMs)] as const),
    }],
  });
}
