/**
 * The help pages of the commands that read what was collected: edge, book, replay, backtest,
 * report and relations (see `_command_docs.ts` for the shape and the collecting commands).
 *
 * @example
 * ```ts
 * import { ANALYSIS_DOCS } from "./_command_docs_analysis.ts";
 * ANALYSIS_DOCS.replay.options.pace.default; // "as fast as it reads"
 * ```
 */
import type { CommandDoc } from "./_command_docs.ts";

/** edge, book, replay, backtest, report, relations. */
export const ANALYSIS_DOCS = {
  edge: {
    summary: "the best plan per channel on the stored books at an instant (paper only)",
    usage: [
      "edge --event ID [--at ISO] [--json] [--convert-fee-bips N] [--rest-max-age-ms N]",
      "edge --relation KEY [--at ISO] [--json] [--convert-fee-bips N] [--rest-max-age-ms N]",
    ],
    about:
      "Prices every channel (neg-risk conversion and basket, LP, implication pairs of confirmed " +
      "ladders) exactly, with the fees in force at that instant, plus book alarms. Closed, " +
      "resolved or not-accepting markets are never priced; books come from the recorded stream, " +
      "or a REST snapshot at most --rest-max-age-ms old, labelled. Nothing is sent anywhere.",
    options: {
      event: { value: "ID", text: "a Gamma event id; this or --relation" },
      relation: { value: "KEY", text: "one confirmed relation, across events" },
      at: { value: "ISO", text: "the instant to price at", default: "now" },
      json: { text: "one JSON array: one object per channel, then one per alarm" },
      "convert-fee-bips": {
        value: "N",
        text: "the NegRisk adapter's feeBips, 0…10000, as read on chain",
        default: "unset: no conversion plan",
      },
      "rest-max-age-ms": {
        value: "N",
        text: "oldest REST book snapshot that may stand in for the stream",
        default: "360000",
      },
    },
    examples: [
      "pmcollect edge --event 903193",
      "pmcollect edge --event 903193 --at 2026-11-30T12:00:00Z --json --convert-fee-bips 0",
      "pmcollect edge --relation ladder_date:903193",
    ],
    exits: "0 success, 1 the event or relation is unknown (or another failure), 2 bad usage",
    database: true,
  },
  book: {
    summary: "a token's full book rebuilt from the recorded stream",
    usage: ["book TOKEN [--at ISO] [--json]"],
    about:
      "Rebuilds one token's L2 book from the recorded stream (book_events) at --at, or its latest " +
      "recorded state. A book not covered at that instant (no snapshot yet, a tick change, an " +
      "outage) prints the reason.",
    options: {
      at: { value: "ISO", text: "the instant", default: "the latest recorded state" },
      json: {
        text: 'print {"bids": [[price, size], …], "asks": […]} (decimal strings, best first)',
      },
    },
    examples: [
      "pmcollect book 7132104567925221259",
      "pmcollect book 7132104567925221259 --at 2026-11-30T12:00:00Z --json",
    ],
    exits: "0 covered, 1 not covered at that instant (or another failure), 2 bad usage",
    database: true,
  },
  replay: {
    summary: "recorded book events as NDJSON, in arrival order",
    usage: [
      "replay [--tokens ID,ID | --event ID] [--since ISO] [--until ISO] [--pace N]",
      "replay --parquet DIR [--tokens ID,ID] [--since ISO] [--until ISO] [--pace N]",
    ],
    about:
      "Writes the recorded stream, one BookEvent per line, in the order it arrived, optionally " +
      "paced; from the database, or with --parquet from a `pmcollect export` folder (no " +
      "database). See docs/stream.md.",
    options: {
      tokens: {
        value: "ID,ID",
        text: "only these token ids; one the database does not know exits 2, named",
        default: "every token",
      },
      event: { value: "ID", text: "only the tokens of this Gamma event", default: "every token" },
      since: { value: "ISO", text: "first instant, inclusive", default: "the start of the record" },
      until: { value: "ISO", text: "end, exclusive; must be after --since", default: "the end" },
      pace: {
        value: "N",
        text: "N × real time: 2 is twice as fast",
        default: "as fast as it reads",
      },
      parquet: { value: "DIR", text: "read an export folder instead of the database" },
    },
    examples: [
      "pmcollect replay --event 903193 --since 2026-11-30T12:00:00Z --until 2026-11-30T13:00:00Z",
      "pmcollect replay --tokens 7132104567925221259 --pace 10",
      "pmcollect replay --parquet /srv/parquet --tokens 7132104567925221259",
    ],
    exits: "0 success, 1 the Parquet folder cannot be replayed (or another failure), 2 bad " +
      "usage, an unknown token included",
    database: true,
  },
  backtest: {
    summary: "the live scanner over the recorded stream or a capture; episodes stored as replayed",
    usage: [
      "backtest --since ISO --until ISO [--events IDS]",
      "backtest --from-file FILE [--since ISO] [--until ISO] [--events IDS]",
    ],
    about:
      "Runs the scanner over the recorded stream (book_events, from the start of the record so " +
      "every book is built before --since) or an NDJSON capture (PMCOLLECT_SCANNER_CAPTURE), " +
      "with relations, fees and ticks from the database, and stores the episodes it finds as " +
      "replayed (a re-run rewrites the same rows); then prints the report.",
    options: {
      since: {
        value: "ISO",
        text: "start of the interval; required without --from-file",
        default: "the capture's start",
      },
      until: {
        value: "ISO",
        text: "end of the interval, after --since; required without --from-file",
        default: "the capture's end",
      },
      events: {
        value: "IDS",
        text: "only relations with a member in these Gamma events",
        default: "every relation",
      },
      "from-file": { value: "FILE", text: "an NDJSON capture instead of the recorded stream" },
    },
    examples: [
      "pmcollect backtest --since 2026-11-30T00:00:00Z --until 2026-12-01T00:00:00Z",
      "pmcollect backtest --since 2026-11-30T10:00:00Z --until 2026-11-30T11:00:00Z --events 903193",
      "pmcollect backtest --from-file capture.ndjson",
    ],
    database: true,
  },
  report: {
    summary: "a day's episodes and trades per channel; --html adds plots",
    usage: ["report --day YYYY-MM-DD [--html FILE] [--replayed] [--schema NAME]"],
    about:
      "Per channel: episode count, median duration, capacity and profit after fees, survival, " +
      "over one UTC day. Live episodes by default. Then what was traded per channel (the " +
      "executor's trades, model edges included): seen, acted on, filled whole, filled short, " +
      "unwound; P&L after fees against the planned edge (slippage); capital used.",
    options: {
      day: { value: "YYYY-MM-DD", text: "the UTC day, a real calendar date (required)" },
      html: { value: "FILE", text: "also write a page with plots to FILE" },
      replayed: { text: "the backtest's (replayed) episodes instead of the live ones" },
      schema: { value: "NAME", text: "the trades of a paper run's schema (paper_…), not live" },
    },
    examples: [
      "pmcollect report --day 2026-11-30",
      "pmcollect report --day 2026-11-30 --html report.html",
      "pmcollect report --day 2026-11-30 --replayed --schema paper_20261201_101500_k3v9",
    ],
    database: true,
  },
  relations: {
    summary: "refresh the relation registry, then list, check or review it",
    usage: [
      "relations [list] [--event ID] [--type T] [--status S] [--json]",
      "relations check [--json]",
      "relations review [--by NAME] [--event ID] [--type T]",
      "relations review --confirm KEY | --reject KEY --note TEXT [--by NAME]",
    ],
    about:
      "Every form first refreshes the registry from the stored catalog (structure and lexical " +
      "proposals). `check` rejects relations a stored resolution contradicts and reports " +
      "findings. `review` shows each proposal and reads one answer a line from stdin: `c [note]` " +
      "confirm, `r [note]` reject, `s` skip, `q` quit. A line it does not understand is " +
      "reported with its line number and leaves that proposal undecided; the other answers are " +
      "applied and the command exits 2. See docs/relations.md.",
    options: {
      event: { value: "ID", text: "only relations with a member in this event", default: "all" },
      type: {
        value: "T",
        text: "only this type: partition, implies, ladder_date, …; ladder is every ladder_*",
        default: "all",
      },
      status: {
        value: "S",
        text: "only proposed, confirmed, incomplete, stale or rejected",
        default: "all",
      },
      json: { text: "print JSON instead of a table" },
      confirm: { value: "KEY", text: "review: confirm this relation, no prompt" },
      reject: { value: "KEY", text: "review: reject this relation (needs --note), no prompt" },
      note: { value: "TEXT", text: "review: the reason recorded with the decision" },
      by: { value: "NAME", text: "review: who decides, recorded", default: "reviewer" },
    },
    examples: [
      "pmcollect relations --type partition --status incomplete",
      "pmcollect relations check --json",
      'pmcollect relations review --reject proposal:implies:1:2 --note "different source"',
    ],
    exits: "0 success, 1 an unknown --confirm/--reject key or a schema not migrated, 2 bad " +
      "usage or a review line it does not understand",
    database: true,
  },
} as const satisfies Record<string, CommandDoc>;
