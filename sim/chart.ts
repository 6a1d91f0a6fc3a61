/**
 * A small self-contained SVG time chart for scenario output: lines and step lines on a
 * left and an optional right axis, categorical bands behind them (why a fan runs), time
 * ticks, axis labels, legend and title. No fonts, scripts or external references, so the
 * file opens anywhere; {@linkcode checkXml} tells whether a document is well-formed.
 *
 * @module
 */

/** One plotted series, sampled at the chart's `timesH`. */
export interface ChartSeries {
  /** Legend text. */
  name: string;
  /** One value per time; `null` leaves a gap. */
  values: readonly (number | null)[];
  /** Stroke colour (any SVG colour). */
  color: string;
  /** Which axis the values belong to. */
  axis: "left" | "right";
  /** Hold each value until the next sample (for discrete outputs like a fan speed). */
  step?: boolean;
  /** Dashed stroke. */
  dashed?: boolean;
}

/** A value axis. */
export interface ChartAxis {
  /** Axis title, units included, e.g. `humidity (%RH)`. */
  label: string;
  /** Lowest value shown (default: from the data, rounded down to a tick). */
  min?: number;
  /** Highest value shown (default: from the data, rounded up to a tick). */
  max?: number;
  /** Only whole-number ticks (for steps like a fan speed). */
  integer?: boolean;
}

/** Coloured bands behind the plot: one per run of equal categories. */
export interface ChartBands {
  /** Legend prefix, e.g. `reason`. */
  label: string;
  /** One category per time. */
  values: readonly string[];
  /** Colour per category; categories without a colour are left blank. */
  colors: Readonly<Record<string, string>>;
}

/** Marked time ranges (a shower, a visit), drawn as a strip along the top of the plot. */
export interface ChartSpans {
  /** Legend text. */
  name: string;
  /** Fill colour. */
  color: string;
  /** Ranges as `[fromH, toH]`. */
  rangesH: ReadonlyArray<readonly [number, number]>;
}

/** Everything a chart shows. */
export interface ChartSpec {
  /** Title line. */
  title: string;
  /** Second, smaller line under the title. */
  subtitle?: string;
  /** Sample times in hours; increasing. */
  timesH: readonly number[];
  /** Start of the time axis (default the first time). */
  xMinH?: number;
  /** End of the time axis (default the last time). */
  xMaxH?: number;
  /** Time axis title (default `time (h:mm)`). */
  xLabel?: string;
  /** The left axis. */
  left: ChartAxis;
  /** The right axis, if any series uses it. */
  right?: ChartAxis;
  /** The series, drawn in order. */
  series: readonly ChartSeries[];
  /** Bands behind the series. */
  bands?: ChartBands;
  /** Marked ranges along the top. */
  spans?: readonly ChartSpans[];
  /** Width in px (default 960). */
  width?: number;
  /** Height in px (default 520). */
  height?: number;
}

const MARGIN = { top: 64, right: 72, bottom: 112, left: 72 };
const TIME_STEPS_H = [1 / 60, 2 / 60, 5 / 60, 10 / 60, 0.25, 0.5, 1, 2, 3, 4, 6, 12, 24];

/** Characters XML 1.0 forbids even when escaped: most controls, lone surrogates, U+FFFE/F. */
const NOT_XML_CHAR =
  // deno-lint-ignore no-control-regex -- finding control characters is the point
  /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
const NOT_XML_CHARS = new RegExp(NOT_XML_CHAR.source, "g");
const ENTITIES: Record<string, string> = {
  "&": "&amp;",
  "<": "&lt;",
  ">": "&gt;",
  '"': "&quot;",
  "'": "&apos;",
};

/**
 * Escapes text for XML content and attribute values.
 *
 * @param text Any text.
 * @returns The text with `& < > " '` escaped and characters XML cannot hold replaced by
 *   U+FFFD.
 * @example
 * ```ts
 * import { escapeXml } from "./chart.ts";
 * import assert from "node:assert/strict";
 * assert.equal(escapeXml('a<b & "c"'), "a&lt;b &amp; &quot;c&quot;");
 * ```
 */
export function escapeXml(text: string): string {
  return text.replace(NOT_XML_CHARS, "\uFFFD").replace(/[&<>"']/g, (c) => ENTITIES[c] ?? c);
}

/**
 * Round tick values (1, 2 or 5 times a power of ten) covering `min..max`.
 *
 * @param min Low end.
 * @param max High end.
 * @param maxCount About how many ticks (at least 2); the step is the smallest round one
 *   giving at most `maxCount - 1` intervals over the range, so rounding the ends outward
 *   adds at most two ticks.
 * @returns Ticks from the first multiple of the step at or below `min` to the first at
 *   or above `max`.
 * @example
 * ```ts
 * import { niceTicks } from "./chart.ts";
 * import assert from "node:assert/strict";
 * assert.deepEqual(niceTicks(0, 97, 6), [0, 20, 40, 60, 80, 100]);
 * ```
 */
export function niceTicks(min: number, max: number, maxCount: number): number[] {
  const span = max > min ? max - min : Math.abs(min) || 1;
  const rough = span / Math.max(1, maxCount - 1);
  const power = 10 ** Math.floor(Math.log10(rough));
  const step = [1, 2, 5, 10].map((m) => m * power).find((s) => s >= rough * 0.999) ?? 10 * power;
  const first = Math.floor(min / step + 1e-9);
  const last = Math.max(first + 1, Math.ceil(max / step - 1e-9));
  const ticks: number[] = [];
  for (let n = first; n <= last; n++) ticks.push(Number((n * step).toPrecision(12)));
  return ticks;
}

/** Formats hours as `h:mm`. */
const clockLabel = (hours: number): string => {
  const minutes = Math.round(hours * 60);
  return `${Math.floor(minutes / 60)}:${String(minutes % 60).padStart(2, "0")}`;
};

/** Trims a number to at most two decimals. */
const num = (value: number): string => String(Math.round(value * 100) / 100);

/** Coordinates to one decimal: plenty for a screen, and keeps the file small. */
const px = (value: number): string => String(Math.round(value * 10) / 10);

interface Scale {
  min: number;
  max: number;
  ticks: number[];
}

const axisScale = (axis: ChartAxis, series: readonly ChartSeries[]): Scale => {
  let low = Infinity;
  let high = -Infinity;
  for (const s of series) {
    for (const v of s.values) {
      if (v === null || !Number.isFinite(v)) continue;
      if (v < low) low = v;
      if (v > high) high = v;
    }
  }
  if (low === Infinity) [low, high] = [0, 1];
  const auto = niceTicks(axis.min ?? low, axis.max ?? high, 6);
  const min = axis.min ?? auto[0]!;
  const max = axis.max ?? auto[auto.length - 1]!;
  const ticks = niceTicks(min, max, 6).filter((t) =>
    t >= min - 1e-9 && t <= max + 1e-9 && (!axis.integer || Number.isInteger(t))
  );
  return { min, max: max > min ? max : min + 1, ticks };
};

const seriesPath = (
  s: ChartSeries,
  x: (h: number) => number,
  y: (v: number) => number,
  timesH: readonly number[],
  endH: number,
): string => {
  const parts: string[] = [];
  let open = false;
  for (let i = 0; i < timesH.length; i++) {
    const v = s.values[i];
    if (v === null || v === undefined || !Number.isFinite(v)) {
      open = false;
      continue;
    }
    const xi = px(x(timesH[i]!));
    const yi = px(y(v));
    if (s.step) {
      const nextH = timesH[i + 1] ?? endH;
      parts.push(open ? `V${yi}H${px(x(nextH))}` : `M${xi} ${yi}H${px(x(nextH))}`);
    } else {
      // Points on a flat stretch add nothing to a line.
      const prev = s.values[i - 1];
      const next = s.values[i + 1];
      if (open && prev === v && next === v) continue;
      parts.push(`${open ? "L" : "M"}${xi} ${yi}`);
    }
    open = true;
  }
  return parts.join("");
};

/**
 * Renders a chart as a standalone SVG document.
 *
 * @param spec Data, axes, bands and titles.
 * @returns The SVG text.
 * @example
 * ```ts
 * import { checkXml, renderChart } from "./chart.ts";
 * import assert from "node:assert/strict";
 * const svg = renderChart({
 *   title: "demo", timesH: [0, 1, 2], left: { label: "power (W)" },
 *   series: [{ name: "power", values: [0, 5, 3], color: "#1f77b4", axis: "left" }],
 * });
 * assert.equal(checkXml(svg), null);
 * assert.ok(svg.includes("power (W)"));
 * ```
 */
export function renderChart(spec: ChartSpec): string {
  const width = spec.width ?? 960;
  const height = spec.height ?? 520;
  const plotW = width - MARGIN.left - MARGIN.right;
  const plotH = height - MARGIN.top - MARGIN.bottom;
  const times = spec.timesH;
  const x0 = spec.xMinH ?? times[0] ?? 0;
  const x1Raw = spec.xMaxH ?? times[times.length - 1] ?? 1;
  const x1 = x1Raw > x0 ? x1Raw : x0 + 1;
  const x = (h: number): number => MARGIN.left + ((h - x0) / (x1 - x0)) * plotW;
  const left = axisScale(spec.left, spec.series.filter((s) => s.axis === "left"));
  const right = spec.right
    ? axisScale(spec.right, spec.series.filter((s) => s.axis === "right"))
    : null;
  const yOf = (scale: Scale) => (v: number): number =>
    MARGIN.top + plotH - ((v - scale.min) / (scale.max - scale.min)) * plotH;
  const yLeft = yOf(left);
  const yRight = right ? yOf(right) : yLeft;
  const bottom = MARGIN.top + plotH;
  const out: string[] = [];
  out.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" ` +
      `viewBox="0 0 ${width} ${height}" font-family="Helvetica, Arial, sans-serif" font-size="12">`,
    `<title>${escapeXml(spec.title)}</title>`,
    `<defs><clipPath id="plot"><rect x="${MARGIN.left}" y="${MARGIN.top}" width="${plotW}" ` +
      `height="${plotH}"/></clipPath></defs>`,
    `<rect width="${width}" height="${height}" fill="#fff"/>`,
    `<text x="${width / 2}" y="26" text-anchor="middle" font-size="17" font-weight="bold">` +
      `${escapeXml(spec.title)}</text>`,
  );
  if (spec.subtitle) {
    out.push(
      `<text x="${width / 2}" y="46" text-anchor="middle" fill="#555">` +
        `${escapeXml(spec.subtitle)}</text>`,
    );
  }
  // Bands first, so lines stay on top.
  const bandLegend: Array<[string, string]> = [];
  if (spec.bands) {
    const b = spec.bands;
    const rects: string[] = [];
    let i = 0;
    while (i < times.length) {
      const category = b.values[i] ?? "";
      let j = i + 1;
      while (j < times.length && b.values[j] === category) j++;
      const color = b.colors[category];
      if (color !== undefined) {
        const from = x(times[i]!);
        const to = x(times[j] ?? x1);
        rects.push(
          `<rect x="${px(from)}" y="${MARGIN.top}" width="${px(to - from)}" height="${plotH}" ` +
            `fill="${escapeXml(color)}"/>`,
        );
        if (!bandLegend.some(([name]) => name === category)) bandLegend.push([category, color]);
      }
      i = j;
    }
    out.push(`<g clip-path="url(#plot)" fill-opacity="0.28">${rects.join("")}</g>`);
  }
  // Grid, ticks and tick labels.
  const stepH = TIME_STEPS_H.find((s) => (x1 - x0) / s <= 12) ?? 24;
  const grid: string[] = [];
  const labels: string[] = [];
  for (let h = Math.ceil(x0 / stepH - 1e-9) * stepH; h <= x1 + 1e-9; h += stepH) {
    const xi = px(x(h));
    grid.push(`M${xi} ${MARGIN.top}V${bottom}`);
    labels.push(`<text x="${xi}" y="${bottom + 18}" text-anchor="middle">${clockLabel(h)}</text>`);
  }
  for (const t of left.ticks) {
    const yi = px(yLeft(t));
    grid.push(`M${MARGIN.left} ${yi}H${MARGIN.left + plotW}`);
    labels.push(`<text x="${MARGIN.left - 8}" y="${yi}" dy="4" text-anchor="end">${num(t)}</text>`);
  }
  if (right) {
    for (const t of right.ticks) {
      labels.push(
        `<text x="${MARGIN.left + plotW + 8}" y="${px(yRight(t))}" dy="4">${num(t)}</text>`,
      );
    }
  }
  out.push(`<path d="${grid.join("")}" stroke="#e3e3e3" fill="none"/>`);
  out.push(
    `<rect x="${MARGIN.left}" y="${MARGIN.top}" width="${plotW}" height="${plotH}" ` +
      `fill="none" stroke="#888"/>`,
  );
  out.push(`<g fill="#333">${labels.join("")}</g>`);
  const midY = MARGIN.top + plotH / 2;
  out.push(
    `<text x="${MARGIN.left + plotW / 2}" y="${bottom + 40}" text-anchor="middle">` +
      `${escapeXml(spec.xLabel ?? "time (h:mm)")}</text>`,
    `<text transform="translate(20 ${midY}) rotate(-90)" text-anchor="middle">` +
      `${escapeXml(spec.left.label)}</text>`,
  );
  if (spec.right) {
    out.push(
      `<text transform="translate(${width - 18} ${midY}) rotate(90)" text-anchor="middle">` +
        `${escapeXml(spec.right.label)}</text>`,
    );
  }
  // Series.
  const lines: string[] = [];
  for (const s of spec.series) {
    const d = seriesPath(s, x, s.axis === "right" ? yRight : yLeft, times, x1);
    if (d === "") continue;
    lines.push(
      `<path d="${d}" fill="none" stroke="${escapeXml(s.color)}" stroke-width="1.6" ` +
        `stroke-linejoin="round"${s.dashed ? ' stroke-dasharray="6 4"' : ""}/>`,
    );
  }
  for (const span of spec.spans ?? []) {
    for (const [fromH, toH] of span.rangesH) {
      const from = x(fromH);
      lines.push(
        `<rect x="${px(from)}" y="${MARGIN.top + 1}" width="${px(Math.max(2, x(toH) - from))}" ` +
          `height="9" fill="${escapeXml(span.color)}"/>`,
      );
    }
  }
  out.push(`<g clip-path="url(#plot)">${lines.join("")}</g>`);
  // Legend: series, then the band categories that appear.
  const items: string[] = [];
  let lx = MARGIN.left;
  let ly = bottom + 66;
  const place = (textLength: number): [number, number] => {
    const w = 34 + textLength * 7;
    if (lx + w > width - MARGIN.right && lx > MARGIN.left) {
      lx = MARGIN.left;
      ly += 20;
    }
    const at: [number, number] = [lx, ly];
    lx += w;
    return at;
  };
  for (const s of spec.series) {
    const [ix, iy] = place(s.name.length);
    items.push(
      `<path d="M${ix} ${iy - 4}h22" stroke="${escapeXml(s.color)}" stroke-width="2.5"` +
        `${s.dashed ? ' stroke-dasharray="6 4"' : ""}/>` +
        `<text x="${ix + 28}" y="${iy}">${escapeXml(s.name)}</text>`,
    );
  }
  for (const span of spec.spans ?? []) {
    const [ix, iy] = place(span.name.length);
    items.push(
      `<rect x="${ix}" y="${iy - 9}" width="22" height="9" fill="${escapeXml(span.color)}"/>` +
        `<text x="${ix + 28}" y="${iy}">${escapeXml(span.name)}</text>`,
    );
  }
  for (const [category, color] of bandLegend) {
    const text = `${spec.bands?.label ?? ""}: ${category}`;
    const [ix, iy] = place(text.length);
    items.push(
      `<rect x="${ix}" y="${iy - 11}" width="22" height="13" fill="${escapeXml(color)}" ` +
        `fill-opacity="0.4"/><text x="${ix + 28}" y="${iy}">${escapeXml(text)}</text>`,
    );
  }
  out.push(`<g fill="#222">${items.join("")}</g>`, "</svg>");
  return out.join("\n") + "\n";
}

const NAME = "[A-Za-z_][\\w.:-]*";
const TAG = new RegExp(
  `^<(/?)(${NAME})((?:\\s+${NAME}\\s*=\\s*(?:"[^"<]*"|'[^'<]*'))*)\\s*(/?)>$`,
);
const BAD_AMPERSAND = /&(?!(?:amp|lt|gt|quot|apos|#\d+|#x[0-9a-fA-F]+);)/;

/**
 * Checks that a document is well-formed XML, in the subset charts use: elements,
 * attributes, text, comments and an XML declaration (no DTD, CDATA or processing
 * instructions). Strict enough to catch unbalanced or misnested tags, bad attribute
 * syntax, duplicate attributes, raw `&` or `<`, characters XML forbids, and more than one
 * root.
 *
 * @param text The document.
 * @returns `null` when well-formed, else what is wrong.
 * @example
 * ```ts
 * import { checkXml } from "./chart.ts";
 * import assert from "node:assert/strict";
 * assert.equal(checkXml('<svg a="1"><g/><text>x &amp; y</text></svg>'), null);
 * assert.match(checkXml("<svg><g></svg>") ?? "", /misnested/);
 * ```
 */
export function checkXml(text: string): string | null {
  const forbidden = NOT_XML_CHAR.exec(text);
  if (forbidden !== null) return `character XML forbids at offset ${forbidden.index}`;
  const body = text.replace(/^\uFEFF?<\?xml[^?]*\?>/, "").replace(/<!--[\s\S]*?-->/g, "");
  const stack: string[] = [];
  let roots = 0;
  let at = 0;
  for (const match of body.matchAll(/<[^<>]*>|<|>/g)) {
    const between = body.slice(at, match.index);
    if (BAD_AMPERSAND.test(between)) return `raw "&" in text near offset ${at}`;
    if (stack.length === 0 && between.trim() !== "") return "text outside the root element";
    at = match.index + match[0].length;
    if (match[0] === "<" || match[0] === ">") {
      return `stray "${match[0]}" at offset ${match.index}`;
    }
    const tag = TAG.exec(match[0]);
    if (tag === null) return `malformed tag ${match[0].slice(0, 60)}`;
    const [, closing, name, attributes, selfClosing] = tag;
    if (closing) {
      if (attributes || selfClosing) return `malformed closing tag ${match[0]}`;
      const open = stack.pop();
      if (open !== name) return `misnested </${name}> (open: ${open ?? "none"})`;
      continue;
    }
    const names = [...(attributes ?? "").matchAll(new RegExp(`(${NAME})\\s*=`, "g"))]
      .map((m) => m[1]);
    if (new Set(names).size !== names.length) return `duplicate attribute in <${name}>`;
    if (BAD_AMPERSAND.test(attributes ?? "")) return `raw "&" in an attribute of <${name}>`;
    if (stack.length === 0 && ++roots > 1) return "more than one root element";
    if (!selfClosing) stack.push(name!);
  }
  const rest = body.slice(at);
  if (rest.trim() !== "") return "text outside the root element";
  if (stack.length > 0) return `unclosed <${stack[stack.length - 1]}>`;
  if (roots === 0) return "no root element";
  return null;
}
