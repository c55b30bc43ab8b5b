/**
 * An opportunity episode: one relation and channel with a positive plan from its first
 * profitable book state (`startedAt`) to the first state without one (`endedAt`; a stale or
 * missing leg ends it too). It keeps the peak: profit, executable shares, dollar capacity (the
 * plan's cost), the leg plan and each leg's book age; and the peak plan's survival, the same
 * plan re-priced on the books 250 ms and 1 s after the peak (null: not fillable then).
 *
 * @example
 * ```ts
 * import { episodeJson } from "./episode.ts";
 * JSON.stringify(episodeJson(episode));
 * ```
 */
import { type Dec, formatDec } from "../edge/decimal.ts";
import { channelJson, type Plan } from "../edge/plan.ts";
import type { EpisodeRow } from "../db/episodes.ts";
import type { LiveChannel } from "./_evaluate.ts";

/** The instants after the peak at which the peak plan is re-priced. */
export const SURVIVAL_OFFSETS_MS = [250, 1000] as const;

export interface Episode {
  readonly relationKey: string;
  readonly channel: LiveChannel;
  /** Receive time (ms) of the book event that opened it; the detection instant. */
  readonly startedAt: number;
  /** Sequence of that event (arrival order). */
  readonly startSequence: number;
  endedAt: number | null;
  /** Why it ended: "no_edge", "stale_leg", "gated_leg", "skew" or "end_of_stream". */
  endReason: string | null;
  peakAt: number;
  peakProfit: Dec;
  peakPlan: Plan;
  /** Per leg of the relation: ms since its book last changed, at the peak. */
  peakBookAgesMs: number[];
  /** Profit of the peak plan re-priced at peak + SURVIVAL_OFFSETS_MS[i]; undefined = pending. */
  survival: (Dec | null | undefined)[];
  /** Number of evaluations with a plan during the episode. */
  observations: number;
  readonly replayed: boolean;
}

/** True once the episode has ended and every survival re-pricing is done. */
export function isFinal(episode: Episode): boolean {
  return episode.endedAt !== null && episode.survival.every((s) => s !== undefined);
}

/** The episode as JSON (decimals as strings, instants as ISO text). */
export function episodeJson(episode: Episode): Record<string, unknown> {
  const text = (d: Dec | null | undefined) => (d === null || d === undefined ? null : formatDec(d));
  const plan = channelJson({
    channel: episode.channel,
    subject: episode.relationKey,
    complete: true,
    plan: episode.peakPlan,
  });
  return {
    relationKey: episode.relationKey,
    channel: episode.channel,
    startedAt: new Date(episode.startedAt).toISOString(),
    endedAt: episode.endedAt === null ? null : new Date(episode.endedAt).toISOString(),
    endReason: episode.endReason,
    peakAt: new Date(episode.peakAt).toISOString(),
    peakProfit: formatDec(episode.peakProfit),
    peakShares: formatDec(episode.peakPlan.shares),
    peakCapacity: formatDec(episode.peakPlan.cost),
    survival250ms: text(episode.survival[0]),
    survival1s: text(episode.survival[1]),
    bookAgesMs: episode.peakBookAgesMs,
    legs: plan.legs,
    replayed: episode.replayed,
  };
}

/** The episode as a row of `episodes`. */
export function episodeRow(episode: Episode): EpisodeRow {
  const json = episodeJson(episode);
  const text = (d: Dec | null | undefined) => (d === null || d === undefined ? null : formatDec(d));
  return {
    startedAt: new Date(episode.startedAt),
    relationKey: episode.relationKey,
    channel: episode.channel,
    replayed: episode.replayed,
    endedAt: episode.endedAt === null ? null : new Date(episode.endedAt),
    endReason: episode.endReason,
    peakAt: new Date(episode.peakAt),
    peakProfit: formatDec(episode.peakProfit),
    peakShares: formatDec(episode.peakPlan.shares),
    peakCapacity: formatDec(episode.peakPlan.cost),
    survival250msProfit: text(episode.survival[0]),
    survival1sProfit: text(episode.survival[1]),
    final: isFinal(episode),
    bookAgesMs: episode.peakBookAgesMs,
    legs: json.legs,
    observations: episode.observations,
    startSequence: episode.startSequence,
  };
}
