/**
 * The backtest: the very same `Scanner` over a recorded stream of book events, in arrival
 * order, with episodes marked as replayed. The source is any `AsyncIterable<BookEvent>`: today
 * an NDJSON capture (`stream/capture.ts`); the recorded stream in the database (issue 15's
 * `replay`) plugs in here unchanged. Events before `since` only build the books (the state the
 * interval starts from); events at or after `until` end the run. Because the scanner's clock is
 * the events' receive time, a replay of what a live scanner consumed gives the episodes the
 * live scanner wrote.
 *
 * @example
 * ```ts ignore
 * import { runBacktest } from "./backtest.ts";
 * const { episodes } = await runBacktest(readBookEvents(path), set, { maxBookAgeMs: 10_000, maxSkewMs: 2_000 });
 * ```
 */
import type { BookEvent } from "../stream/book_event.ts";
import type { Episode } from "./episode.ts";
import { type EpisodePhase, Scanner, type ScannerCounts } from "./scanner.ts";
import type { RelationSet } from "./relation_set.ts";

export interface BacktestOptions {
  readonly maxBookAgeMs: number;
  readonly maxSkewMs: number;
  /** Epoch ms; episodes that start earlier are not reported (their books still build). */
  readonly since?: number;
  /** Epoch ms; the run ends at the first event at or after it. */
  readonly until?: number;
  readonly signal?: AbortSignal;
  /** Every episode change, as the live scanner reports it. */
  readonly onEpisode?: (episode: Episode, phase: EpisodePhase) => void;
}

export interface BacktestResult {
  /** Final episodes that started in [since, until), in the order they became final. */
  readonly episodes: Episode[];
  readonly events: number;
  readonly counts: ScannerCounts;
}

export async function runBacktest(
  source: AsyncIterable<BookEvent> | Iterable<BookEvent>,
  set: RelationSet,
  options: BacktestOptions,
): Promise<BacktestResult> {
  const since = options.since ?? -Infinity;
  const until = options.until ?? Infinity;
  const episodes: Episode[] = [];
  const scanner = new Scanner(set, {
    maxBookAgeMs: options.maxBookAgeMs,
    maxSkewMs: options.maxSkewMs,
    replayed: true,
    onEpisode: (episode, phase) => {
      if (episode.startedAt < since) return;
      options.onEpisode?.(episode, phase);
      if (phase === "final") episodes.push(episode);
    },
  });
  let events = 0;
  let last = since;
  for await (const event of source) {
    if (event.receivedAt >= until) break;
    if (!scanner.watches(event.tokenId)) continue;
    if ((++events & 1023) === 0) options.signal?.throwIfAborted();
    scanner.push(event);
    last = event.receivedAt;
  }
  scanner.finish(Number.isFinite(until) ? until : last + 1);
  return { episodes, events, counts: scanner.counts };
}
