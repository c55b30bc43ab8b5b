/**
 * The daily report over stored episodes: per channel the episode count, median duration,
 * capacity and profit after fees (the peak plans' cost and profit, fees included), and
 * survival (the share of episodes whose peak plan still paid 250 ms and 1 s later). As text,
 * or as one HTML page with inline SVG plots (episodes per hour, edge vs duration, capacity by
 * channel) and no dependency.
 *
 * @example
 * ```ts ignore
 * import { reportHtml, reportText, summarize } from "./report.ts";
 * const summary = summarize(rows);
 * write(reportText(summary, "2026-11-30"));
 * ```
 */
import type { EpisodeRow } from "../db/episodes.ts";
import { formatDec, parseDec } from "../edge/decimal.ts";

export interface ChannelSummary {
  readonly channel: string;
  readonly episodes: number;
  readonly medianDurationMs: number | null;
  /** Sum of the peak plans' cost (dollars, fees included). */
  readonly capacity: string;
  /** Sum of the peak profits (after fees). */
  readonly profit: string;
  /** Share of episodes whose peak plan still paid, 250 ms and 1 s later (null: none final). */
  readonly survived250ms: number | null;
  readonly survived1s: number | null;
}

export function summarize(rows: readonly EpisodeRow[]): ChannelSummary[] {
  const byChannel = new Map<string, EpisodeRow[]>();
  for (const row of rows) {
    let list = byChannel.get(row.channel);
    if (list === undefined) byChannel.set(row.channel, list = []);
    list.push(row);
  }
  return [...byChannel.entries()].sort(([a], [b]) => a.localeCompare(b)).map(
    ([channel, list]) => {
      const durations = list.flatMap((r) => r.endedAt === null ? [] : [duration(r)]);
      const final = list.filter((r) => r.final);
      const share = (pick: (r: EpisodeRow) => string | null) =>
        final.length === 0
          ? null
          : final.filter((r) => pick(r) !== null && parseDec(pick(r)!) > 0n).length / final.length;
      return {
        channel,
        episodes: list.length,
        medianDurationMs: median(durations),
        capacity: formatDec(list.reduce((s, r) => s + parseDec(r.peakCapacity), 0n)),
        profit: formatDec(list.reduce((s, r) => s + parseDec(r.peakProfit), 0n)),
        survived250ms: share((r) => r.survival250msProfit),
        survived1s: share((r) => r.survival1sProfit),
      };
    },
  );
}

function duration(row: EpisodeRow): number {
  return row.endedAt === null ? 0 : row.endedAt.getTime() - row.startedAt.getTime();
}

function median(values: number[]): number | null {
  if (values.length === 0) return null;
  const sorted = values.toSorted((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

const pct = (x: number | null) => (x === null ? "-" : `${(x * 100).toFixed(1)}%`);
const seconds = (ms: number | null) => (ms === null ? "-" : `${(ms / 1000).toFixed(2)} s`);

/** The summary as an aligned text table. */
export function reportText(summary: readonly ChannelSummary[], day: string): string {
  const head = ["channel", "episodes", "median", "capacity $", "profit $", "surv 250ms", "surv 1s"];
  const body = summary.map((s) => [
    s.channel,
    String(s.episodes),
    seconds(s.medianDurationMs),
    s.capacity,
    s.profit,
    pct(s.survived250ms),
    pct(s.survived1s),
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((r) => r[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i]!)).join("  ").trimEnd();
  const lines = [`episodes on ${day} (UTC)`, line(head), ...body.map(line)];
  if (body.length === 0) lines.push("(no episodes)");
  return lines.join("\n");
}

const COLORS = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e"];
const W = 640;
const H = 240;
const PAD = 40;

function escape(text: string): string {
  return text.replace(/[&<>"]/g, (c) => `&#${c.charCodeAt(0)};`);
}

function axes(title: string, x: string, y: string): string {
  return `<text x="${W / 2}" y="16" text-anchor="middle" font-weight="bold">${
    escape(title)
  }</text>` +
    `<line x1="${PAD}" y1="${H - PAD}" x2="${W - 10}" y2="${H - PAD}" stroke="#333"/>` +
    `<line x1="${PAD}" y1="30" x2="${PAD}" y2="${H - PAD}" stroke="#333"/>` +
    `<text x="${W / 2}" y="${H - 8}" text-anchor="middle">${escape(x)}</text>` +
    `<text x="12" y="${H / 2}" transform="rotate(-90 12 ${H / 2})" text-anchor="middle">${
      escape(y)
    }</text>`;
}

function svg(body: string): string {
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" font-family="sans-serif" font-size="11">${body}</svg>`;
}

/** One page: the table, then three plots. */
export function reportHtml(
  summary: readonly ChannelSummary[],
  rows: readonly EpisodeRow[],
  day: string,
): string {
  const channels = summary.map((s) => s.channel);
  const color = (c: string) => COLORS[channels.indexOf(c) % COLORS.length]!;
  const legend = channels.map((c, i) =>
    `<text x="${W - 170}" y="${40 + i * 14}" fill="${color(c)}">■ ${escape(c)}</text>`
  ).join("");
  // Episodes per hour, one polyline per channel.
  const dayStart = Date.parse(`${day}T00:00:00Z`);
  const hourly = channels.map((c) => {
    const counts = new Array(24).fill(0);
    for (const r of rows) {
      if (r.channel !== c) continue;
      const h = Math.floor((r.startedAt.getTime() - dayStart) / 3_600_000);
      if (h >= 0 && h < 24) counts[h]++;
    }
    return counts as number[];
  });
  const maxCount = Math.max(1, ...hourly.flat());
  const px = (h: number) => PAD + (h / 23) * (W - PAD - 20);
  const py = (v: number, max: number) => H - PAD - (v / max) * (H - PAD - 40);
  const lines = hourly.map((counts, i) =>
    `<polyline fill="none" stroke="${color(channels[i]!)}" stroke-width="2" points="${
      counts.map((v, h) => `${px(h).toFixed(1)},${py(v, maxCount).toFixed(1)}`).join(" ")
    }"/>`
  ).join("");
  const over = svg(
    axes("Episodes per hour (UTC)", "hour", `episodes (max ${maxCount})`) + lines + legend,
  );
  // Edge (profit / capacity, bp) vs duration (log seconds).
  const points = rows.filter((r) => r.endedAt !== null && parseDec(r.peakCapacity) > 0n).map(
    (r) => ({
      c: r.channel,
      d: Math.max(0.01, duration(r) / 1000),
      e: (Number(parseDec(r.peakProfit)) / Number(parseDec(r.peakCapacity))) * 10_000,
    }),
  );
  const maxEdge = Math.max(1, ...points.map((p) => p.e));
  const lx = (d: number) => PAD + ((Math.log10(d) + 2) / 6) * (W - PAD - 20);
  const dots = points.map((p) =>
    `<circle cx="${lx(p.d).toFixed(1)}" cy="${py(p.e, maxEdge).toFixed(1)}" r="3" fill="${
      color(p.c)
    }" fill-opacity="0.6"/>`
  ).join("");
  const ticks = [0.01, 0.1, 1, 10, 100, 1000, 10000].map((d) =>
    `<text x="${lx(d)}" y="${H - PAD + 12}" text-anchor="middle">${d}</text>`
  ).join("");
  const scatter = svg(
    axes(
      "Edge vs duration",
      "duration, s (log)",
      `edge, bp of capacity (max ${maxEdge.toFixed(0)})`,
    ) +
      dots + ticks + legend,
  );
  // Capacity by channel.
  const caps = summary.map((s) => Number(s.capacity));
  const maxCap = Math.max(1, ...caps);
  const barW = (W - PAD - 20) / Math.max(1, summary.length) * 0.6;
  const bars = summary.map((s, i) => {
    const x = PAD + 10 + i * (W - PAD - 20) / summary.length;
    const y = py(caps[i]!, maxCap);
    return `<rect x="${x}" y="${y}" width="${barW}" height="${H - PAD - y}" fill="${
      color(s.channel)
    }"/><text x="${x + barW / 2}" y="${y - 4}" text-anchor="middle">$${s.capacity}</text>` +
      `<text x="${x + barW / 2}" y="${H - PAD + 12}" text-anchor="middle">${
        escape(s.channel)
      }</text>`;
  }).join("");
  const capacity = svg(axes("Capacity by channel (peak plan cost, $)", "", "$") + bars);
  const table = `<table border="1" cellpadding="4" cellspacing="0"><tr>${
    [
      "channel",
      "episodes",
      "median duration",
      "capacity $",
      "profit $",
      "survived 250 ms",
      "survived 1 s",
    ]
      .map((h) => `<th>${h}</th>`).join("")
  }</tr>${
    summary.map((s) =>
      `<tr><td>${escape(s.channel)}</td><td>${s.episodes}</td><td>${
        seconds(s.medianDurationMs)
      }</td><td>${s.capacity}</td><td>${s.profit}</td><td>${pct(s.survived250ms)}</td><td>${
        pct(s.survived1s)
      }</td></tr>`
    ).join("")
  }</table>`;
  return `<!doctype html><html><head><meta charset="utf-8"><title>Episodes ${day}</title></head>` +
    `<body style="font-family:sans-serif"><h1>Opportunity episodes, ${day} (UTC)</h1>${table}` +
    `<p>${over}</p><p>${scatter}</p><p>${capacity}</p></body></html>\n`;
}
