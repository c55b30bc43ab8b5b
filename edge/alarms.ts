/**
 * Book-integrity alarms. The venue matches YES and NO in one book, so YES ask + NO ask ≥ 1 and
 * a market's bid stays below its ask; a violation is a data problem (a stale or half-applied
 * book), never an opportunity (relations.md §0.1, §3.1).
 *
 * @example
 * ```ts
 * import { bookAlarms } from "./alarms.ts";
 * for (const alarm of bookAlarms(market)) log.warn("edge_data_alarm", alarm);
 * ```
 */
import { type Dec, formatDec, ONE, parseDec } from "./decimal.ts";
import { parseLadder } from "./book_walk.ts";
import type { LevelText, MarketInput } from "./market.ts";

export interface BookAlarm {
  readonly marketId: string;
  readonly kind: "yes_ask_plus_no_ask_below_one" | "crossed_book" | "off_tick_or_malformed";
  readonly detail: string;
}

/** Every alarm one market's stored books raise (empty when they are sound). */
export function bookAlarms(market: MarketInput): BookAlarm[] {
  const alarms: BookAlarm[] = [];
  const raise = (kind: BookAlarm["kind"], detail: string) =>
    alarms.push({ marketId: market.marketId, kind, detail });
  let tick: Dec;
  try {
    tick = parseDec(market.tickSize);
  } catch {
    raise("off_tick_or_malformed", `tick size "${market.tickSize}"`);
    return alarms;
  }
  const best = (side: readonly LevelText[], pick: "low" | "high") => {
    const levels = parseLadder(side, tick);
    if (levels === null) return null;
    return (pick === "low" ? levels[0] : levels.at(-1))?.price;
  };
  const sides = [
    ["YES bids", market.book.bids],
    ["YES asks", market.book.asks],
    ...(market.noBook === undefined ? [] : [["NO asks", market.noBook.asks] as const]),
  ] as const;
  for (const [name, side] of sides) {
    if (parseLadder(side, tick) === null) {
      raise("off_tick_or_malformed", `${name} of market ${market.marketId}`);
    }
  }
  const yesBid = best(market.book.bids, "high");
  const yesAsk = best(market.book.asks, "low");
  if (yesBid != null && yesAsk != null && yesBid >= yesAsk) {
    raise("crossed_book", `YES bid ${formatDec(yesBid)} >= YES ask ${formatDec(yesAsk)}`);
  }
  const noAsk = market.noBook === undefined ? undefined : best(market.noBook.asks, "low");
  if (yesAsk != null && noAsk != null && yesAsk + noAsk < ONE) {
    raise(
      "yes_ask_plus_no_ask_below_one",
      `YES ask ${formatDec(yesAsk)} + NO ask ${formatDec(noAsk)} < 1`,
    );
  }
  return alarms;
}
