/**
 * Writes episodes as they open, peak and end: the newest state per episode waits in a map (an
 * episode that changes twice before a write is written once), and one batch is in flight at a
 * time, so an opening episode is committed within one database round trip of the event that
 * opened it. After each commit, `committed` gets each newly opened row's detection latency
 * (commit time − the opening event's receive time). A failed write is logged and retried with
 * the newer state; nothing is lost while the process lives.
 *
 * @example
 * ```ts ignore
 * const writer = new EpisodeWriter(sql, { now: Date.now, log });
 * const done = writer.run(signal);
 * writer.offer(episode, "open");
 * ```
 */
import { setTimeout as sleep } from "node:timers/promises";
import { type EpisodeRow, upsertEpisodes } from "../db/episodes.ts";
import type { Queryable } from "../db/client.ts";
import type { Logger } from "../runtime/log.ts";
import { type Episode, episodeRow } from "./episode.ts";
import type { EpisodePhase } from "./scanner.ts";

export interface EpisodeWriterOptions {
  readonly now: () => number;
  readonly log: Logger;
  /** Called after each commit with the opening rows and their detection latency (ms). */
  readonly committed?: (opened: readonly { row: EpisodeRow; latencyMs: number }[]) => void;
}

export class EpisodeWriter {
  readonly #sql: Queryable;
  readonly #o: EpisodeWriterOptions;
  #pending = new Map<string, { row: EpisodeRow; opened: boolean }>();
  #wake: (() => void) | null = null;
  #idle: (() => void)[] = [];
  written = 0;
  failures = 0;

  constructor(sql: Queryable, options: EpisodeWriterOptions) {
    this.#sql = sql;
    this.#o = options;
  }

  get pending(): number {
    return this.#pending.size;
  }

  offer(episode: Episode, phase: EpisodePhase): void {
    const row = episodeRow(episode);
    const key = `${row.relationKey}\u0000${row.channel}\u0000${row.startedAt.getTime()}`;
    const opened = phase === "open" || this.#pending.get(key)?.opened === true;
    this.#pending.set(key, { row, opened });
    this.#wake?.();
  }

  /** Resolves once everything offered so far is committed. */
  drained(): Promise<void> {
    if (this.#pending.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.#idle.push(resolve));
  }

  /** Writes until `signal` aborts, then writes what is left once. */
  async run(signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      if (this.#pending.size === 0) {
        for (const resolve of this.#idle.splice(0)) resolve();
        let onAbort = () => {};
        await new Promise<void>((resolve) => {
          this.#wake = resolve;
          onAbort = resolve;
          signal.addEventListener("abort", onAbort, { once: true });
        });
        signal.removeEventListener("abort", onAbort);
        this.#wake = null;
        continue;
      }
      if (!(await this.#writeBatch())) {
        await sleep(1000, undefined, { signal }).catch(() => {});
      }
    }
    await this.#writeBatch();
    for (const resolve of this.#idle.splice(0)) resolve();
  }

  async #writeBatch(): Promise<boolean> {
    if (this.#pending.size === 0) return true;
    const batch = this.#pending;
    this.#pending = new Map();
    try {
      await upsertEpisodes(this.#sql, [...batch.values()].map((b) => b.row));
    } catch (err) {
      this.failures++;
      this.#o.log.warn("episodes_not_written", { count: batch.size, error: String(err) });
      // Newer states offered meanwhile win; the rest go back.
      for (const [key, value] of batch) if (!this.#pending.has(key)) this.#pending.set(key, value);
      return false;
    }
    this.written += batch.size;
    const now = this.#o.now();
    const opened = [...batch.values()].filter((b) => b.opened).map((b) => ({
      row: b.row,
      latencyMs: now - b.row.startedAt.getTime(),
    }));
    if (opened.length > 0) this.#o.committed?.(opened);
    return true;
  }
}
