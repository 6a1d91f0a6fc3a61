import assert from "node:assert/strict";
import fc from "fast-check";
import { type ChartSpec, checkXml, escapeXml, niceTicks, renderChart } from "./chart.ts";

const spec = (over: Partial<ChartSpec> = {}): ChartSpec => ({
  title: "t",
  timesH: [0, 1, 2, 3],
  left: { label: "humidity (%RH)", min: 30, max: 100 },
  right: { label: "fan speed", min: 0, max: 2.5, integer: true },
  series: [
    { name: "room", values: [50, 60, null, 55], color: "#123", axis: "left" },
    { name: "speed", values: [0, 2, 2, 0], color: "red", axis: "right", step: true },
  ],
  bands: {
    label: "reason",
    values: ["none", "humidity", "humidity", "check"],
    colors: {
      humidity: "#4e79a7",
      check: "#edc948",
    },
  },
  spans: [{ name: "shower", color: "#7b3294", rangesH: [[0.5, 0.7]] }],
  ...over,
});

/** Any UTF-16 text, control characters and lone surrogates included. */
const text = fc.string({ unit: "binary" }).chain((s) =>
  fc.constantFrom(s, s + "\uD800", "\u0001" + s, s + "\uDC00x")
);

Deno.test("checkXml accepts well-formed documents", () => {
  assert.equal(
    checkXml('<?xml version="1.0"?>\n<a x="1" y=\'2\'><!-- c --><b/>t &amp; &#38;</a>'),
    null,
  );
});

Deno.test("checkXml names what is wrong", () => {
  const cases: Array<[string, RegExp]> = [
    ["<a><b></a>", /misnested/],
    ["<a>", /unclosed <a>/],
    ["<a/><b/>", /more than one root/],
    ["<a>x & y</a>", /raw "&"/],
    ['<a x="1" x="2"/>', /duplicate attribute/],
    ["<a x=1/>", /malformed tag/],
    ["<a>1 < 2</a>", /stray|malformed/],
    ["text<a/>", /outside the root/],
    ["", /no root/],
    ["<a>\u0001</a>", /forbids/],
  ];
  for (const [text, expected] of cases) assert.match(checkXml(text) ?? "null", expected, text);
});

Deno.test("renderChart draws series, a step line, bands, spans, legend and both axes", () => {
  const svg = renderChart(spec());
  assert.equal(checkXml(svg), null);
  assert.ok(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"'));
  for (
    const text of ["humidity (%RH)", "fan speed", "reason: humidity", "reason: check", "shower"]
  ) {
    assert.ok(svg.includes(`>${text}<`), text);
  }
  assert.ok(!svg.includes("reason: none"), "categories without a colour stay out of the legend");
  // The null splits the room line into two pieces.
  const room = svg.match(/<path d="([^"]+)" fill="none" stroke="#123"/)?.[1] ?? "";
  assert.equal(room.split("M").length - 1, 2);
  // A step line only moves horizontally and vertically.
  const speed = svg.match(/<path d="([^"]+)" fill="none" stroke="red"/)?.[1] ?? "";
  assert.match(speed, /^M[\d.]+ [\d.]+(?:[HV][\d.]+)+$/);
  // Time ticks in h:mm, every 0.25 h over a 3 h span.
  assert.ok(svg.includes(">0:15<") && svg.includes(">3:00<"));
});

Deno.test("renderChart copes with no data and a flat series", () => {
  const svg = renderChart({
    title: "empty",
    timesH: [],
    left: { label: "W" },
    series: [{ name: "flat", values: [], color: "#000", axis: "left" }],
  });
  assert.equal(checkXml(svg), null);
  const flat = renderChart({
    title: "flat",
    timesH: [0, 1, 2, 3],
    left: { label: "W" },
    series: [{ name: "flat", values: [5, 5, 5, 5], color: "#000", axis: "left" }],
  });
  assert.equal(checkXml(flat), null);
  // Points inside a flat stretch are dropped: only the two ends remain.
  assert.match(flat, /d="M[\d.]+ [\d.]+L[\d.]+ [\d.]+"/);
});

Deno.test("renderChart output stays well-formed whatever the texts", () => {
  fc.assert(
    fc.property(text, text, text, (title, name, category) => {
      const svg = renderChart(spec({
        title,
        subtitle: name,
        series: [{ name, values: [1, 2, 3, 4], color: name, axis: "left" }],
        bands: {
          label: category,
          values: [category, "", category, ""],
          colors: { [category]: "#f00" },
        },
      }));
      assert.equal(checkXml(svg), null);
    }),
  );
});

Deno.test("escapeXml output never holds markup characters", () => {
  fc.assert(fc.property(text, (raw) => {
    const escaped = escapeXml(raw);
    assert.doesNotMatch(escaped, /[<>"']|&(?!(amp|lt|gt|quot|apos);)/);
    assert.equal(checkXml(`<a>${escaped}</a>`), null);
  }));
});

Deno.test("niceTicks: round, evenly spaced, covering the range", () => {
  fc.assert(
    fc.property(
      fc.double({ min: -1e4, max: 1e4, noNaN: true }),
      fc.double({ min: 1e-2, max: 1e6, noNaN: true }),
      fc.integer({ min: 2, max: 12 }),
      (min, span, maxCount) => {
        const max = min + span;
        const ticks = niceTicks(min, max, maxCount);
        assert.ok(ticks.length >= 2 && ticks.length <= maxCount + 2, `${ticks.length} ticks`);
        const step = ticks[1]! - ticks[0]!;
        const tolerance = step * 1e-6 + 1e-9 * Math.max(1, Math.abs(min), Math.abs(max));
        assert.ok(ticks[0]! <= min + tolerance && ticks[ticks.length - 1]! >= max - tolerance);
        const mantissa = step / 10 ** Math.floor(Math.log10(step) + 1e-9);
        assert.ok([1, 2, 5, 10].some((m) => Math.abs(mantissa - m) < 1e-6), `step ${step}`);
        for (let n = 1; n < ticks.length; n++) {
          assert.ok(Math.abs(ticks[n]! - ticks[n - 1]! - step) <= 2 * tolerance);
        }
      },
    ),
  );
});
