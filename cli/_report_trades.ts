/**
 * The trading half of `pmcollect report --day D` (issue 30): per channel, from the
 * `trade_outcomes` rows of the day (execution/trade_outcomes.ts) in the live schema or a paper
 * run's: episodes (and forecasts) seen, acted on, filled whole, filled short, unwound, missed;
 * P&L after fees against the plans' edge (slippage = planned − P&L); capital used; and, with
 * `--html`, the cumulative P&L curve per channel and the slippage per channel as SVG plots (the
 * evaluation page's helpers, models/report_html.ts). The day's fills and fees in the ledger are
 * printed beside them, so the figures can be checked against the books of account.
 *
 * @example
 * ```ts ignore
 * import { listTradeDay, tradeDayText } from "./_report_trades.ts";
 * const day = await listTradeDay(sql, { since, until, schema: null });
 * for (const line of tradeDayText(day)) write(line);
 * ```
 */
import type { Queryable } from "../db/client.ts";
import { type Dec, formatDec, parseDec, toNumber, ZERO } from "../edge/decimal.ts";
import { escape, frame, svg, title } from "../models/report_html.ts";

/** One channel's day. */
export interface ChannelDay {
  readonly channel: string;
  seen: number;
  acted: number;
  declined: number;
  missed: number;
  filledWhole: number;
  filledShort: number;
  unwound: number;
  /** Σ planned edge of the trades acted on. */
  planned: Dec;
  pnl: Dec;
  capital: Dec;
}

export interface TradeDay {
  readonly channels: readonly ChannelDay[];
  /** Every trade in time order, for the curve. */
  readonly points: readonly { readonly at: number; readonly channel: string; readonly pnl: Dec }[];
  /** The ledger's fills of the day and their fees. */
  readonly fills: number;
  readonly fees: Dec;
}

/** A schema name as `paperSchemaName` makes them (or any plain lower-case identifier). */
const SCHEMA = /^[a-z_][a-z0-9_]{0,62}$/;

/** @throws {RangeError} for a schema name that is not a plain identifier. */
export async function listTradeDay(
  sql: Queryable,
  options: { readonly since: Date; readonly until: Date; readonly schema: string | null },
): Promise<TradeDay> {
  if (options.schema !== null && !SCHEMA.test(options.schema)) {
    throw new RangeError(`Not a schema name: "${options.schema}"`);
  }
  const prefix = options.schema === null ? "" : `${options.schema}.`;
  const rows = await sql.unsafe<
    { at: Date; channel: string; outcome: string; planned: string; pnl: string; capital: string }[]
  >(
    `select at, channel, outcome, planned_edge::text as planned, pnl::text, capital::text
     from ${prefix}trade_outcomes where at >= $1 and at < $2 order by at, id`,
    [options.since, options.until],
  );
  const [ledger] = await sql.unsafe<{ fills: number; fees: string }[]>(
    `select count(*)::int as fills, coalesce(sum(fee), 0)::text as fees
     from ${prefix}fills where at >= $1 and at < $2`,
    [options.since, options.until],
  );
  const by = new Map<string, ChannelDay>();
  for (const r of rows) {
    let c = by.get(r.channel);
    if (c === undefined) {
      c = {
        channel: r.channel,
        seen: 0,
        acted: 0,
        declined: 0,
        missed: 0,
        filledWhole: 0,
        filledShort: 0,
        unwound: 0,
        planned: ZERO,
        pnl: ZERO,
        capital: ZERO,
      };
      by.set(r.channel, c);
    }
    c.seen++;
    if (r.outcome === "declined") c.declined++;
    else {
      c.acted++;
      c.planned += parseDec(r.planned);
      if (r.outcome === "missed") c.missed++;
      else if (r.outcome === "filled_whole") c.filledWhole++;
      else if (r.outcome === "filled_short") c.filledShort++;
      else if (r.outcome === "unwound") c.unwound++;
    }
    c.pnl += parseDec(r.pnl);
    c.capital += parseDec(r.capital);
  }
  return {
    channels: [...by.values()].sort((a, b) => a.channel.localeCompare(b.channel)),
    points: rows.map((r) => ({ at: r.at.getTime(), channel: r.channel, pnl: parseDec(r.pnl) })),
    fills: ledger!.fills,
    fees: parseDec(ledger!.fees),
  };
}

/** The day as text: one line per channel, then the total and the ledger's fills. */
export function tradeDayText(day: TradeDay): string[] {
  if (day.channels.length === 0) return ["trading: no trade recorded on this day"];
  const lines = ["trading (per channel):"];
  let pnl = ZERO, planned = ZERO, capital = ZERO;
  for (const c of day.channels) {
    lines.push(
      `  ${c.channel}: ${c.seen} seen, ${c.acted} acted on (${c.declined} declined), ` +
        `${c.filledWhole} filled whole, ${c.filledShort} filled short, ${c.unwound} unwound, ` +
        `${c.missed} missed; P&L ${formatDec(c.pnl)} against planned ${formatDec(c.planned)} ` +
        `(slippage ${formatDec(c.planned - c.pnl)}); capital used ${formatDec(c.capital)}`,
    );
    pnl += c.pnl;
    planned += c.planned;
    capital += c.capital;
  }
  lines.push(
    `  total: P&L ${formatDec(pnl)} against planned ${formatDec(planned)}; capital used ${
      formatDec(capital)
    }; ledger: ${day.fills} fills, fees ${formatDec(day.fees)}`,
  );
  return lines;
}

const COLORS = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b"];
const W = 640, H = 300, PAD = 50;

/** The P&L curve (cumulative, per channel, over the day) and the slippage per channel. */
export function tradeDayHtml(day: TradeDay, options: { readonly since: Date }): string {
  if (day.channels.length === 0) return "<h2>Trading</h2><p>No trade recorded on this day.</p>";
  const channels = day.channels.map((c) => c.channel);
  const color = (c: string) => COLORS[channels.indexOf(c) % COLORS.length]!;
  const start = options.since.getTime();
  // Cumulative P&L per channel, a step at each trade.
  const curves = new Map<string, { t: number; v: number }[]>();
  const totals = new Map<string, number>();
  for (const p of day.points) {
    const v = (totals.get(p.channel) ?? 0) + toNumber(p.pnl);
    totals.set(p.channel, v);
    const curve = curves.get(p.channel) ?? [{ t: 0, v: 0 }];
    curve.push({ t: (p.at - start) / 3_600_000, v });
    curves.set(p.channel, curve);
  }
  const all = [...curves.values()].flat().map((p) => p.v);
  const lo = Math.min(0, ...all), hi = Math.max(0, ...all);
  const span = hi - lo || 1;
  const x = (t: number) => PAD + (t / 24) * (W - PAD - 20);
  const y = (v: number) => H - PAD - ((v - lo) / span) * (H - PAD - 40);
  const lines = [...curves].map(([c, pts]) =>
    `<polyline fill="none" stroke="${color(c)}" stroke-width="2" points="${
      pts.map((p) => `${x(p.t).toFixed(1)},${y(p.v).toFixed(1)}`).join(" ")
    }"/>`
  ).join("");
  const legend = channels.map((c, i) =>
    `<text x="${W - 190}" y="${40 + i * 14}" fill="${color(c)}">■ ${escape(c)}</text>`
  ).join("");
  const zero = `<line x1="${PAD}" y1="${y(0)}" x2="${W - 10}" y2="${y(0)}" stroke="#999" ` +
    `stroke-dasharray="3,3"/><text x="${PAD - 4}" y="${y(hi)}" text-anchor="end">${
      hi.toFixed(2)
    }</text><text x="${PAD - 4}" y="${y(lo)}" text-anchor="end">${lo.toFixed(2)}</text>`;
  const curve = svg(
    W,
    H,
    title(W, "Cumulative P&L after fees, per channel") +
      frame(PAD, W, H, "hour of the day (UTC)", "P&L, collateral") + zero + lines + legend,
  );
  // Planned edge and P&L side by side per channel; the gap is the slippage.
  const values = day.channels.flatMap((c) => [toNumber(c.planned), toNumber(c.pnl)]);
  const bLo = Math.min(0, ...values), bHi = Math.max(0, ...values);
  const bSpan = bHi - bLo || 1;
  const by = (v: number) => H - PAD - ((v - bLo) / bSpan) * (H - PAD - 40);
  const slot = (W - PAD - 20) / day.channels.length;
  const bars = day.channels.map((c, i) => {
    const left = PAD + 10 + i * slot;
    const bar = (v: number, dx: number, fill: string) => {
      const top = Math.min(by(v), by(0));
      return `<rect x="${left + dx}" y="${top.toFixed(1)}" width="${(slot * 0.35).toFixed(1)}" ` +
        `height="${Math.abs(by(v) - by(0)).toFixed(1)}" fill="${fill}"/>`;
    };
    return bar(toNumber(c.planned), 0, "#bbb") +
      bar(toNumber(c.pnl), slot * 0.35, color(c.channel)) +
      `<text x="${left + slot * 0.35}" y="${H - PAD + 14}" text-anchor="middle">${
        escape(c.channel)
      }</text><text x="${left + slot * 0.35}" y="${H - PAD + 26}" text-anchor="middle">` +
      `slippage ${formatDec(c.planned - c.pnl)}</text>`;
  }).join("");
  const slippage = svg(
    W,
    H,
    title(W, "Planned edge (grey) against P&L, per channel") +
      frame(PAD, W, H, "", "collateral") +
      `<line x1="${PAD}" y1="${by(0)}" x2="${W - 10}" y2="${by(0)}" stroke="#999"/>` + bars,
  );
  const rows = tradeDayText(day).map((l) => escape(l)).join("\n");
  return `<h2>Trading</h2><pre>${rows}</pre><p>${curve}</p><p>${slippage}</p>`;
}
