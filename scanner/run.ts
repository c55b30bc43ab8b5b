/**
 * `runScanner`: the opportunity scanner as a supervised task. Loads the confirmed relations
 * (`_load.ts`), attaches a `Scanner` to the listener's book feed (which resubscribes the
 * watched tokens so every book starts from a snapshot; the listener only ingests, and passes
 * of a `PassScheduler` evaluate the dirty relations off its path), and writes episodes as they open, peak
 * and end (`_writer.ts`). Between events it advances the scanner's clock every 100 ms, so
 * survival re-pricing and stale legs settle on time on quiet books. It reloads the relations
 * every minute, every 10 s while it holds none, and at once when the daemon's relation refresh
 * task (`relations/refresh_task.ts`) reports a refresh that changed the registry (`registry`).
 * While it holds no relation it logs why, once (`scanner_idle`, with the registry's counts by
 * status), and reports it as `idle` on /healthz. With `PMCOLLECT_SCANNER_CAPTURE` it appends
 * every event it consumes to an NDJSON file that `pmcollect backtest --from-file` replays.
 * With a `tap` (the live paper executor, execution/live_paper.ts) it tells the tap its books
 * and relations at start and at every reload, and each episode as it opens, after its writer.
 *
 * Metrics (`/metrics`, prefix `pmcollect_`, label `task="scanner"`): `scanner_events_total`,
 * `scanner_evaluations_total`, `scanner_stale_legs_total`, `scanner_gated_legs_total`, `scanner_closed_legs_total`,
 * `scanner_skewed_legs_total`, `scanner_incomplete_groups_total`, `episodes_total`,
 * `episodes_final_total`, `episode_capacity_dollars_total`, `scanner_open_episodes`,
 * `scanner_watched_tokens`, and the histogram `scanner_detection_latency_seconds` (opening
 * event's receive time → episode row committed).
 *
 * @example
 * ```ts ignore
 * import { runScanner } from "./run.ts";
 * await runScanner({ ...deps, feed }, signal);
 * ```
 */
import { setTimeout as sleep } from "node:timers/promises";
import type { CollectorDeps } from "../collectors/_deps.ts";
import { BookEventCapture } from "../stream/capture.ts";
import { loadScanRelations } from "./_load.ts";
import { PassScheduler } from "./_pass_scheduler.ts";
import { EpisodeWriter } from "./_writer.ts";
import type { FeedConsumer, ScannerFeed } from "./feed.ts";
import { Scanner, type ScannerCounts } from "./scanner.ts";
import type { RelationSet } from "./relation_set.ts";
import type { Episode } from "./episode.ts";
import type { L2Books } from "../stream/l2_book.ts";
import { countRelationsByStatus } from "../relations/registry.ts";

const RELOAD_MS = 60_000;
const IDLE_RELOAD_MS = 10_000;
const TICK_MS = 100;

/** The relation refresh task's notice: `generation` moves when a refresh changed the registry. */
export interface RegistryChanges {
  readonly generation: number;
}

/** What the live executor is told: the books and relations in use, and each episode opened. */
export interface ScannerTap {
  /** The scanner's books and relations (at start, and again after each reload). */
  attached(source: { readonly books: L2Books; readonly set: RelationSet }): void;
  /** An episode just opened (its `peakPlan` is the plan it opened with); must not throw. */
  opened(episode: Episode): void;
}

export async function runScanner(
  deps: CollectorDeps & {
    readonly feed: ScannerFeed;
    readonly registry?: RegistryChanges;
    readonly tap?: ScannerTap;
  },
  signal: AbortSignal,
): Promise<void> {
  const { config, log, now, feed } = deps;
  const o = config.scanner;
  const ctx = deps.context;
  const load = () => loadScanRelations(deps.sql, { convertFeeBips: o.convertFeeBips });
  let set = await retry(load, { signal, log });
  const writer = new EpisodeWriter(deps.sql, {
    now,
    log,
    committed: (opened) => {
      for (const { latencyMs } of opened) {
        ctx?.observe("scanner_detection_latency_seconds", latencyMs / 1000);
      }
    },
  });
  const writerDone = writer.run(signal);
  const capture = o.capturePath === null ? null : await BookEventCapture.open(o.capturePath);
  const scanner = new Scanner(set, {
    maxBookAgeMs: o.maxBookAgeMs,
    maxSkewMs: o.maxSkewMs,
    onEpisode: (episode, phase) => {
      writer.offer(episode, phase);
      if (phase === "open") deps.tap?.opened(episode);
      if (phase === "final") {
        ctx?.counter("episode_capacity_dollars_total", Number(episode.peakPlan.cost) / 1e8);
      }
    },
  });
  // The listener only applies changes and marks relations dirty; passes evaluate them later.
  const passes = new PassScheduler(scanner);
  deps.tap?.attached({ books: scanner.books, set });
  const consumer: FeedConsumer = {
    watches: (t) => scanner.watches(t),
    push: (event) => {
      capture?.push(event);
      scanner.ingest(event);
      passes.notify();
    },
    resubscribed: (ids) => scanner.resubscribed(ids),
  };
  feed.attach(consumer, set.tokens());
  log.info("scanner_started", { relations: set.relations.length, tokens: set.tokens().length });
  const idle = new IdleNote(deps);
  await idle.check(set);
  let last: ScannerCounts = { ...scanner.counts };
  let lastReport = now();
  let lastReload = now();
  let generation = deps.registry?.generation ?? 0;
  try {
    while (!signal.aborted) {
      await sleep(TICK_MS, undefined, { signal }).catch(() => {});
      scanner.advance(now());
      const every = set.relations.length === 0 ? IDLE_RELOAD_MS : RELOAD_MS;
      const changed = (deps.registry?.generation ?? 0) !== generation;
      if (changed || now() - lastReload >= every) {
        lastReload = now();
        generation = deps.registry?.generation ?? 0;
        try {
          const next = await load();
          scanner.setRelations(next, now());
          feed.resync(newTokens(set, next));
          if (next.relations.length !== set.relations.length) {
            log.info("scanner_relations_reloaded", {
              relations: next.relations.length,
              tokens: next.tokens().length,
              previously: set.relations.length,
            });
          }
          set = next;
          deps.tap?.attached({ books: scanner.books, set });
          await idle.check(set);
        } catch (err) {
          if (signal.aborted) break;
          log.warn("scanner_relations_not_loaded", { error: String(err) });
        }
      }
      if (now() - lastReport < 1000) continue;
      lastReport = now();
      capture?.flush();
      const c = scanner.counts;
      ctx?.counter("scanner_events_total", c.events - last.events);
      ctx?.counter("scanner_evaluations_total", c.evaluations - last.evaluations);
      ctx?.counter("scanner_stale_legs_total", c.staleLegs - last.staleLegs);
      ctx?.counter("scanner_gated_legs_total", c.gatedLegs - last.gatedLegs);
      ctx?.counter("scanner_closed_legs_total", c.closedLegs - last.closedLegs);
      ctx?.counter("scanner_skewed_legs_total", c.skewedLegs - last.skewedLegs);
      ctx?.counter("scanner_incomplete_groups_total", c.incompleteGroups - last.incompleteGroups);
      ctx?.counter("episodes_total", c.episodesOpened - last.episodesOpened);
      ctx?.counter("episodes_final_total", c.episodesFinal - last.episodesFinal);
      ctx?.gauge("scanner_open_episodes", scanner.openEpisodes);
      ctx?.gauge("scanner_watched_tokens", set.tokens().length);
      last = { ...c };
      ctx?.report({
        relations: set.relations.length,
        watchedTokens: set.tokens().length,
        idle: idle.reason,
        openEpisodes: scanner.openEpisodes,
        episodesWritten: writer.written,
        episodeWriteFailures: writer.failures,
        ...c,
        unhealthy: writer.pending > 10_000 ? "episodes are not being written" : null,
      });
    }
  } finally {
    feed.detach(consumer);
    passes.stop();
    capture?.close();
    await writerDone;
  }
  signal.throwIfAborted();
}

/**
 * Says once why the scanner holds no relation (and again only after it held some): a
 * registry without confirmed partitions or chains, with its counts by status, so a fresh
 * install that idles says so instead of `scanner_started relations:0` alone.
 */
class IdleNote {
  readonly #deps: Pick<CollectorDeps, "sql" | "log">;
  #reason: string | null = null;

  constructor(deps: Pick<CollectorDeps, "sql" | "log">) {
    this.#deps = deps;
  }

  /** Why the scanner is idle, or null while it holds relations. */
  get reason(): string | null {
    return this.#reason;
  }

  async check(set: RelationSet): Promise<void> {
    if (set.relations.length > 0) {
      this.#reason = null;
      return;
    }
    if (this.#reason !== null) return;
    const registry = await countRelationsByStatus(this.#deps.sql);
    const confirmed = registry.confirmed ?? 0;
    this.#reason = confirmed === 0
      ? "no confirmed relations yet"
      : "no confirmed partition or chain with both tokens of every member in the catalog";
    this.#deps.log.info("scanner_idle", { reason: this.#reason, registry });
  }
}

function newTokens(before: RelationSet, after: RelationSet): string[] {
  return after.tokens().filter((t) => !before.watches(t));
}

async function retry<T>(
  fn: () => Promise<T>,
  context: { readonly signal: AbortSignal; readonly log: CollectorDeps["log"] },
): Promise<T> {
  for (let delay = 1000;; delay = Math.min(delay * 2, 30_000)) {
    try {
      return await fn();
    } catch (err) {
      context.signal.throwIfAborted();
      context.log.warn("scanner_relations_not_loaded", { error: String(err) });
      await sleep(delay, undefined, { signal: context.signal });
    }
  }
}
