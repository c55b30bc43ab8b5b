/**
 * `pmcollect model eval --html FILE`: the evaluation as a page a researcher would rather look
 * at than read (issue 28). Per horizon, three inline SVG plots and the text table:
 *
 * - Reliability diagrams: mean forecast against observed frequency per bin (10 equal-width bins,
 *   tail excluded), model and market, each bin's dot sized by its row count; the diagonal is
 *   perfect calibration. One for all rows, then one per domain.
 * - Brier by segment: the model's and the market's Brier side by side for every segment.
 * - Improvement interval: Brier(model) − Brier(market) per segment with its 95% interval
 *   (events resampled) against the zero line; left of zero favours the model.
 *
 * No script, no external asset: the file opens anywhere.
 *
 * @example
 * ```ts ignore
 * import { evaluationHtml } from "./report_html.ts";
 * await Deno.writeTextFile("eval.html", evaluationHtml(evaluation, { title: "beta v3" }));
 * ```
 */
import { formatEvaluation, type HorizonEvaluation, type SegmentFigures } from "./evaluate.ts";
import type { ForecastScores } from "./metrics.ts";

const MODEL = "#1f77b4";
const MARKET = "#ff7f0e";

/** The whole page. */
export function evaluationHtml(
  evaluation: readonly HorizonEvaluation[],
  options: { readonly title: string; readonly notes?: readonly string[] },
): string {
  const sections = evaluation.map((h) => {
    const all = h.segments.find((s) => s.kind === "all");
    const domains = h.segments.filter((s) => s.kind === "domain");
    return `<h2>Horizon t-${escape(h.horizon)}</h2>
<p>Excluded: ${escape(h.excluded.join("; "))}</p>
<div>${all === undefined ? "" : reliability(all, 360)}${brierBars(h.segments)}</div>
<div>${intervals(h.segments)}</div>
<div>${domains.map((d) => reliability(d, 260)).join("")}</div>`;
  }).join("\n");
  return `<!doctype html>
<html><head><meta charset="utf-8"><title>${escape(options.title)}</title>
<style>body{font-family:sans-serif;margin:20px}svg{margin:6px;vertical-align:top}pre{font-size:11px}</style>
</head><body>
<h1>${escape(options.title)}</h1>
${(options.notes ?? []).map((n) => `<p>${escape(n)}</p>`).join("\n")}
<p><span style="color:${MODEL}">■ model</span> <span style="color:${MARKET}">■ market</span></p>
${sections}
<h2>Table</h2>
<pre>${escape(formatEvaluation(evaluation))}</pre>
</body></html>
`;
}

function reliability(all: SegmentFigures, size: number): string {
  const pad = 44;
  const span = size - pad - 30;
  const x = (p: number) => pad + p * span;
  const y = (p: number) => size - pad - p * span;
  const maxN = Math.max(1, ...all.model.bins.map((b) => b.n), ...all.market.bins.map((b) => b.n));
  const series = (scores: ForecastScores, color: string) => {
    const bins = scores.bins.filter((b) => b.n > 0);
    const line = bins.map((b) => `${x(b.meanForecast).toFixed(1)},${y(b.frequency).toFixed(1)}`)
      .join(" ");
    return `<polyline fill="none" stroke="${color}" stroke-width="1.5" points="${line}"/>` +
      bins.map((b) =>
        `<circle class="bin" cx="${x(b.meanForecast).toFixed(1)}" cy="${
          y(b.frequency).toFixed(1)
        }" r="${
          (2 + 6 * Math.sqrt(b.n / maxN)).toFixed(1)
        }" fill="${color}" fill-opacity="0.7"><title>${
          escape(
            `forecast ${b.meanForecast.toFixed(3)}, frequency ${b.frequency.toFixed(3)}, n ${b.n}`,
          )
        }</title></circle>`
      ).join("");
  };
  const ticks = [0, 0.25, 0.5, 0.75, 1].map((t) =>
    `<text x="${x(t)}" y="${size - pad + 14}" text-anchor="middle">${t}</text>` +
    `<text x="${pad - 6}" y="${y(t) + 4}" text-anchor="end">${t}</text>`
  ).join("");
  return svg(
    size,
    size,
    title(size, `Reliability: ${all.value}, ${all.rows} rows`) +
      frame(pad, size, size, "mean forecast", "observed frequency") +
      `<line x1="${x(0)}" y1="${y(0)}" x2="${x(1)}" y2="${
        y(1)
      }" stroke="#999" stroke-dasharray="4 3"/>` +
      ticks + series(all.market, MARKET) + series(all.model, MODEL),
  );
}

function brierBars(segments: readonly SegmentFigures[]): string {
  const rowH = 18;
  const left = 190;
  const width = 640;
  const height = 40 + segments.length * rowH + 30;
  const max = Math.max(...segments.flatMap((s) => [s.model.brier, s.market.brier]), 1e-9);
  const w = (v: number) => (v / max) * (width - left - 130);
  const bars = segments.map((s, i) => {
    const top = 36 + i * rowH;
    return `<text x="${left - 6}" y="${top + 12}" text-anchor="end">${escape(s.value)}</text>` +
      `<rect x="${left}" y="${top + 1}" width="${
        w(s.model.brier).toFixed(1)
      }" height="7" fill="${MODEL}"/>` +
      `<rect x="${left}" y="${top + 8}" width="${
        w(s.market.brier).toFixed(1)
      }" height="7" fill="${MARKET}"/>` +
      `<text x="${left + w(Math.max(s.model.brier, s.market.brier)) + 4}" y="${top + 12}">${
        s.model.brier.toFixed(4)
      } / ${s.market.brier.toFixed(4)}</text>`;
  }).join("");
  return svg(width, height, title(width, "Brier by segment (model / market)") + bars);
}

function intervals(segments: readonly SegmentFigures[]): string {
  const rowH = 18;
  const left = 190;
  const width = 900;
  const height = 40 + segments.length * rowH + 36;
  const extent = Math.max(
    1e-6,
    ...segments.flatMap((s) => [Math.abs(s.difference.low), Math.abs(s.difference.high)]),
  );
  const plotW = width - left - 270;
  const x = (v: number) => left + ((v + extent) / (2 * extent)) * plotW;
  const rows = segments.map((s, i) => {
    const cy = 36 + i * rowH + 9;
    const d = s.difference;
    const color = d.high < 0 ? MODEL : d.low > 0 ? MARKET : "#555";
    return `<text x="${left - 6}" y="${cy + 4}" text-anchor="end">${escape(s.value)}</text>` +
      `<line x1="${x(d.low).toFixed(1)}" y1="${cy}" x2="${
        x(d.high).toFixed(1)
      }" y2="${cy}" stroke="${color}" stroke-width="2"/>` +
      `<circle class="diff" cx="${
        x(d.difference).toFixed(1)
      }" cy="${cy}" r="3.5" fill="${color}"/>` +
      `<text x="${left + plotW + 8}" y="${cy + 4}">${sign(d.difference)} [${sign(d.low)}, ${
        sign(d.high)
      }] ${d.events} ev.</text>`;
  }).join("");
  const bottom = 36 + segments.length * rowH;
  return svg(
    width,
    height,
    title(width, "Brier(model) − Brier(market), 95% interval, events resampled") +
      `<line x1="${x(0)}" y1="30" x2="${
        x(0)
      }" y2="${bottom}" stroke="#999" stroke-dasharray="4 3"/>` +
      `<text x="${x(-extent)}" y="${bottom + 16}">${sign(-extent)} model better</text>` +
      `<text x="${x(extent)}" y="${bottom + 16}" text-anchor="end">market better ${
        sign(extent)
      }</text>` +
      rows,
  );
}

/** Axes and their labels for a plot `width` × `height` with `pad` on the left and bottom. */
export function frame(
  pad: number,
  width: number,
  height: number,
  xLabel: string,
  yLabel: string,
): string {
  return `<line x1="${pad}" y1="${height - pad}" x2="${width - 10}" y2="${
    height - pad
  }" stroke="#333"/>` +
    `<line x1="${pad}" y1="24" x2="${pad}" y2="${height - pad}" stroke="#333"/>` +
    `<text x="${width / 2}" y="${height - 6}" text-anchor="middle">${escape(xLabel)}</text>` +
    `<text x="12" y="${height / 2}" transform="rotate(-90 12 ${height / 2})" text-anchor="middle">${
      escape(yLabel)
    }</text>`;
}

/** A plot's title, centred on top. */
export function title(width: number, text: string): string {
  return `<text x="${width / 2}" y="16" text-anchor="middle" font-weight="bold">${
    escape(text)
  }</text>`;
}

/** An inline SVG element around `body`. */
export function svg(width: number, height: number, body: string): string {
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="sans-serif" font-size="11">${body}</svg>`;
}

/** Text made safe inside SVG or HTML. */
export function escape(text: string): string {
  return text.replace(/[&<>"]/g, (c) => `&#${c.charCodeAt(0)};`);
}

function sign(x: number): string {
  return (x >= 0 ? "+" : "") + x.toFixed(4);
}
