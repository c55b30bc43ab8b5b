/**
 * The help page of `forecast` (see `_command_docs.ts` for the shape).
 *
 * @example
 * ```ts
 * import { FORECAST_DOCS } from "./_command_docs_forecast.ts";
 * FORECAST_DOCS.forecast.options.market.value; // "ID"
 * ```
 */
import type { CommandDoc } from "./_command_docs.ts";

/** forecast. */
export const FORECAST_DOCS = {
  forecast: {
    summary: "per token the price, model probability, EV after fees and capped Kelly (paper only)",
    usage: ["forecast --event ID | --market ID [--at ISO] [--json]"],
    about: "Forecasts a market, or every market of an event, at an instant: per token the market " +
      "price, the newest stored model's probability with its 95% interval, the best ask and " +
      "where its book came from (the stream, a REST snapshot, or the YES book's mirror), the " +
      "expected value per share of buying there after the taker fee, and a Kelly fraction " +
      "(a quarter of full Kelly, at most 0.05 of the bankroll). Features are read as stored " +
      "before the instant, books and fee through the tradability rules; a market closed at " +
      "the instant is skipped with its reason. With no stored model the market price is the " +
      "probability (the baseline) and the output says so. Nothing is traded (docs/models.md, " +
      '"Forecasts").',
    options: {
      event: { value: "ID", text: "forecast every market of this event" },
      market: { value: "ID", text: "forecast this market" },
      at: { value: "ISO", text: "the instant to forecast at", default: "now" },
      json: { text: "one JSON document instead of the table" },
    },
    examples: [
      "pmcollect forecast --event 903193",
      "pmcollect forecast --market 500001 --at 2026-11-30T12:00:00Z --json",
    ],
    exits: "0 forecast, 1 nothing to forecast (unknown, closed or unpriced), 2 bad usage",
    database: true,
  },
} satisfies Record<string, CommandDoc>;
