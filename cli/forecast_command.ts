/**
 * `pmcollect forecast --event ID | --market ID [--at ISO] [--json]` (issue 28): per token of
 * the market (or of every market of the event) at the instant (default now), the market price,
 * the model probability with its interval, the best ask and where its book came from, the
 * expected value per share of buying there after the taker fee, and the capped Kelly fraction.
 * Paper only. The probability is the newest stored model's (`models/forecast_at.ts`); with no
 * stored model it is the market price itself, and the output says so.
 *
 * @example
 * ```sh
 * pmcollect forecast --event 903193
 * pmcollect forecast --market 500001 --at 2026-11-30T12:00:00Z --json
 * ```
 */
import postgres from "postgres";
import { openConfiguredDatabase } from "./_connect.ts";
import { FORECAST_OPTIONS, UsageError } from "./command_line.ts";
import { parseInstant } from "./_instant.ts";
import { parseOrReport, parseOwnOptions } from "./_own_options.ts";
import type { CommandContext } from "./migrate_command.ts";
import type { Config } from "../runtime/config.ts";
import { printText } from "../runtime/log.ts";
import { latestModel, type StoredModel } from "../models/store.ts";
import { type ForecastsAt, forecastsAt } from "../models/forecast_at.ts";
import { KELLY_CAP, KELLY_MULTIPLIER } from "../models/forecast.ts";

export interface ForecastArgs {
  readonly event: string | undefined;
  readonly market: string | undefined;
  readonly at: Date | undefined;
  readonly json: boolean;
}

/** @throws {UsageError} unless exactly one of --event and --market is given, or a bad --at. */
export function parseForecastArgs(args: readonly string[]): ForecastArgs {
  const { values: v } = parseOwnOptions(args, { options: FORECAST_OPTIONS });
  if ((v.event === undefined) === (v.market === undefined)) {
    throw new UsageError("forecast takes one of --event ID or --market ID");
  }
  if (v.event === "" || v.market === "") throw new UsageError("--event and --market need an id");
  return {
    event: v.event,
    market: v.market,
    at: v.at === undefined ? undefined : parseInstant("at", v.at),
    json: v.json === true,
  };
}

/** Runs the command; 0 forecast, 1 nothing to forecast (unknown, closed, no price), 2 usage. */
export async function runForecastCommand(
  config: Config,
  context: CommandContext & { readonly args: readonly string[] },
): Promise<number> {
  const args = parseOrReport("forecast", parseForecastArgs, context.args);
  if (args === null) return 2;
  const db = await openConfiguredDatabase(config, { ...context, poolSize: 3 });
  try {
    const ids = args.market !== undefined ? [args.market] : (await db.sql<{ id: string }[]>`
        select market_id as id from markets where event_id = ${args.event!}
        order by market_id collate "C"`).map((r) => r.id);
    if (ids.length === 0) {
      printText("stderr", `pmcollect forecast: no market in event ${args.event}`);
      return 1;
    }
    const model = await latestModel(db.sql);
    const result = await forecastsAt(db.sql, ids, {
      at: args.at ?? new Date(),
      model,
      signal: context.signal,
    });
    for (const line of formatForecasts(result, model, args.json)) context.write(line);
    return result.markets.length > 0 ? 0 : 1;
  } catch (err) {
    if (err instanceof postgres.PostgresError && err.code === "42P01") {
      printText("stderr", `pmcollect forecast: ${err.message}; run pmcollect migrate first`);
      return 1;
    }
    throw err;
  } finally {
    await db.close();
  }
}

/** The output lines: one JSON document, or a header, one line per token and the skipped. */
export function formatForecasts(
  result: ForecastsAt,
  model: StoredModel | undefined,
  json: boolean,
): string[] {
  if (json) {
    return [JSON.stringify({
      at: result.at.toISOString(),
      model: model === undefined ? null : { version: model.version, method: model.method },
      baseline: model === undefined,
      kelly: { multiplier: KELLY_MULTIPLIER, cap: KELLY_CAP },
      markets: result.markets,
      skipped: result.skipped,
    })];
  }
  const n = (x: number | null, places = 4) => (x === null ? "-" : x.toFixed(places));
  const lines = [
    `forecast at ${result.at.toISOString()}: ${
      model === undefined
        ? "no model stored: the market price is the probability (baseline; run pmcollect model fit)"
        : `model version ${model.version} (${model.method})`
    }; Kelly is ${KELLY_MULTIPLIER} of full, at most ${KELLY_CAP}; paper only`,
    `${"market".padEnd(12)} ${"token".padEnd(22)} side ${"horizon".padEnd(7)} ${
      "price".padStart(6)
    } ${"prob".padStart(6)} ${"interval".padEnd(15)} ${"ask".padStart(6)} ${"book".padEnd(13)} ${
      "EV/share".padStart(8)
    } ${"kelly".padStart(6)}`,
  ];
  for (const m of result.markets) {
    m.tokens.forEach((t, i) => {
      const interval = t.low === null || t.high === null ? "-" : `[${n(t.low)}, ${n(t.high)}]`;
      const book = t.askSource === "mirror" ? "mirror of YES" : m.books[i]!;
      lines.push(
        `${m.marketId.padEnd(12)} ${t.tokenId.slice(0, 22).padEnd(22)} ${
          (t.outcomeIndex === 0 ? "YES" : "NO").padEnd(4)
        } ${m.horizon.padEnd(7)} ${n(t.price).padStart(6)} ${n(t.probability).padStart(6)} ${
          interval.padEnd(15)
        } ${n(t.ask).padStart(6)} ${book.padEnd(13)} ${n(t.evPerShare, 5).padStart(8)} ${
          n(t.kelly).padStart(6)
        }`,
      );
    });
  }
  for (const s of result.skipped) lines.push(`skipped ${s.marketId}: ${s.reason}`);
  return lines;
}
