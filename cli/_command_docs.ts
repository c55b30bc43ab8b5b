/**
 * What each command's `--help` says: usage lines, a paragraph, every option with its value and
 * default, examples and exit codes. cli/help.ts renders them; cli/help_test.ts checks that each
 * command's option table (command_line.ts) is documented here, option by option.
 *
 * The analysis commands (edge, book, replay, backtest, report, relations) are in
 * `_command_docs_analysis.ts`; the simulator keeps its own page (simulator/cli.ts).
 *
 * @example
 * ```ts
 * import { COLLECT_DOCS } from "./_command_docs.ts";
 * COLLECT_DOCS.backfill.options["gaps-only"]?.text; // "recorded gaps only, …"
 * ```
 */

/** One option of one command. */
export interface OptionDoc {
  /** The value it takes, e.g. "ISO" (none for a switch). */
  readonly value?: string;
  readonly text: string;
  /** Shown as "(default: …)"; none for a switch (off) or a required option. */
  readonly default?: string;
}

/** One command's help page. */
export interface CommandDoc {
  /** One line, also the command's line in `pmcollect --help`. */
  readonly summary: string;
  /** Usage lines, each after "pmcollect ". */
  readonly usage: readonly string[];
  /** What it does, in a few sentences. */
  readonly about: string;
  /** Keyed by the flag without its dashes. */
  readonly options: Readonly<Record<string, OptionDoc>>;
  readonly examples: readonly string[];
  /** The exit codes, when more than "0 success, 1 failure, 2 bad usage". */
  readonly exits?: string;
  /** Reads or writes the database (the help then says which settings pick it). */
  readonly database: boolean;
}

/** run, migrate, status, backfill, export, inspect, key. */
export const COLLECT_DOCS = {
  run: {
    summary: "migrate if needed, then collect until SIGINT/SIGTERM (the default command)",
    usage: ["[run] [--only COLLECTORS] [--live] [setting flags]"],
    about:
      "Runs the collectors (markets, prices, books, trades with the recorded stream, resolutions) " +
      "and the scanner under a supervisor that restarts a crashed task, with /healthz and /metrics " +
      "on 127.0.0.1. Every setting below is an environment variable and a flag of the same name; " +
      "the flag wins. Stops cleanly on SIGINT/SIGTERM within PMCOLLECT_SHUTDOWN_DEADLINE_S.",
    options: {
      only: {
        value: "COLLECTORS",
        text: "collectors to run, comma-separated (same as PMCOLLECT_COLLECTORS / --collectors)",
        default: "markets,prices,books,trades,resolutions",
      },
      live: {
        text: "trade the venue with real money: needs PMCOLLECT_EXECUTOR=live, the key, the " +
          "account and every PMCOLLECT_RISK_* limit set (docs/execution.md, Live trading)",
      },
    },
    examples: [
      "pmcollect run --only prices,trades",
      "DATABASE_URL=postgres://pm@127.0.0.1/polymarket pmcollect run --health-port 9464",
      "pmcollect run --prices-interval-s 30 --log-level debug",
    ],
    exits: "0 after a clean shutdown, 1 failure or shutdown deadline overrun, 2 bad usage " +
      "or setting, 130/143 a second SIGINT/SIGTERM during shutdown",
    database: true,
  },
  migrate: {
    summary: "apply the bundled migrations and exit, or list them",
    usage: ["migrate [--status]", "--migrate"],
    about: "Applies every pending migration in order (concurrent runs apply each once), or with " +
      "--status prints a table of applied and pending migrations with their checksums. " +
      "`pmcollect --migrate` is the same as `pmcollect migrate`.",
    options: {
      status: { text: "list applied and pending migrations instead of applying them" },
    },
    examples: [
      "pmcollect migrate",
      "pmcollect migrate --status",
      "pmcollect --migrate --database-url postgres://pm@127.0.0.1:5432/polymarket",
    ],
    exits: "0 success, 1 a changed or unknown migration (or another failure), 2 bad usage",
    database: true,
  },
  status: {
    summary: "what is collected: rows per table, last runs, gaps, disk and days left",
    usage: ["status [--quality]"],
    about:
      "Rows per time-series table in the last hour and day, the latest run of each collector, " +
      "open gaps, rejects, the database size, free disk and days left at the running daemon's " +
      "growth; on TimescaleDB, compression and background jobs.",
    options: {
      quality: {
        text: "also coverage (24 h / 7 d), gaps by cause, rejects by reason, the websocket-vs-" +
          "Data-API trade capture and the stream-vs-REST book check (asks the venue)",
      },
    },
    examples: ["pmcollect status", "pmcollect status --quality"],
    exits: "0 success, 1 the schema is not migrated yet (or another failure), 2 bad usage",
    database: true,
  },
  backfill: {
    summary: "fill recorded gaps (and history with --since) from the venue's history endpoints",
    usage: [
      "backfill [--gaps-only] [--dry-run] [--since ISO] [--until ISO]",
      "backfill --since ISO [--markets IDS | --events IDS | --tag ID] [--until ISO]",
      "backfill --resolved --since ISO [--until ISO] [--fidelity MIN] [--dry-run]",
    ],
    about:
      "Fetches what the live collectors missed from CLOB /prices-history and the Data API, within " +
      "its own share of the rate budgets: recorded gaps, and with --since the history of each " +
      "token before its first live data. With --resolved it loads the closed markets that ended " +
      "since --since instead: metadata as the venue has it now, resolutions and each token's " +
      "whole price history, marked as backfilled, and records what the venue no longer serves " +
      '(gaps of collector "history"). Resumable: a rerun continues from its checkpoints.',
    options: {
      since: {
        value: "ISO",
        text: "fill history from this date (2026-01-01 or 2026-01-01T12:00:00Z)",
        default: "gaps only",
      },
      until: { value: "ISO", text: "end of everything fetched", default: "now − 2 min" },
      markets: {
        value: "IDS",
        text: "only these markets: condition ids (0x…) or Gamma market ids, comma-separated",
        default: "all",
      },
      events: { value: "IDS", text: "only the markets of these Gamma event ids", default: "all" },
      tag: { value: "ID", text: "only the markets Gamma lists under this tag id", default: "all" },
      "gaps-only": { text: "recorded gaps only, no history before the first run" },
      "dry-run": {
        text: "print the windows, skipped gaps, requests per endpoint and the estimated duration",
      },
      resolved: {
        text: "closed markets that ended in [--since, --until], their resolutions and price " +
          "histories (the dry run lists Gamma's pages to count them)",
      },
      fidelity: {
        value: "MIN",
        text: "with --resolved: minutes per price point to ask for (raised for long lives)",
        default: "60",
      },
    },
    examples: [
      "pmcollect backfill --gaps-only --dry-run",
      "pmcollect backfill --since 2026-01-01 --markets 0xabc…,12345",
      "pmcollect backfill --resolved --since 2025-06-01 --dry-run",
    ],
    exits: "0 done, 1 failure or interrupted (a rerun resumes), 2 bad usage or a selection " +
      "that matches no market",
    database: true,
  },
  export: {
    summary: "tables as ZSTD Parquet per table and UTC day, with manifests; verified retention",
    usage: ["export --out DIR [--tables T,T] [--since DAY] [--until DAY] [--retain-days N]"],
    about:
      "Writes <DIR>/<table>/date=YYYY-MM-DD/part-NNNNN.parquet with a _manifest.json per day, " +
      "skipping days already exported intact. With --retain-days N it then drops from the " +
      "database the days older than N whose export verifies. See docs/export.md.",
    options: {
      out: { value: "DIR", text: "the export folder (required)" },
      tables: {
        value: "T,T",
        text: "tables or views to export",
        default: "price_snapshots,book_snapshots,trades,quotes",
      },
      since: { value: "DAY", text: "first UTC day (YYYY-MM-DD)", default: "the oldest row's day" },
      until: { value: "DAY", text: "day after the last one exported", default: "today" },
      "time-column": { value: "NAME", text: "the column that picks the day", default: "ts" },
      "retain-days": {
        value: "N",
        text: "then drop days older than N days whose export verifies",
        default: "keep everything",
      },
      "dry-run": { text: "change nothing; say what would be exported and dropped" },
      force: { text: "export again days already exported" },
    },
    examples: [
      "pmcollect export --out /srv/parquet --since 2026-11-01",
      "pmcollect export --out /srv/parquet --tables trades,quotes --retain-days 30 --dry-run",
    ],
    exits: "0 success, 1 a partition failed (those before it are complete), 2 bad usage",
    database: true,
  },
  inspect: {
    summary: "parse a captured payload and print what would be stored",
    usage: ["inspect FILE", "inspect -"],
    about:
      "Reads one payload (a recorded REST body, one websocket frame, or NDJSON of frames) from " +
      "FILE or stdin (-), and prints the normalised rows as JSON lines and each rejection with " +
      "its path and reason. Touches no database.",
    options: {},
    examples: ["pmcollect inspect captured_book.json", "cat frames.ndjson | pmcollect inspect -"],
    exits: "0 everything parsed, 1 something rejected, 2 unreadable or not recognised",
    database: false,
  },
  key: {
    summary: "the age-encrypted trading key: keygen, encrypt, check",
    usage: [
      "key keygen --out FILE",
      "key encrypt --recipient AGE1… --in FILE --out FILE",
      "key check --key FILE --identity FILE",
    ],
    about:
      "keygen writes a new age identity (mode 0600) and prints its public key; encrypt writes " +
      "the key in FILE encrypted to that recipient; check decrypts in memory and reports the " +
      "length, never the key. Files readable by group or others are refused. See docs/deploy.md.",
    options: {
      out: { value: "FILE", text: "file to create (mode 0600; never overwritten)" },
      in: { value: "FILE", text: "the plaintext key to encrypt (shred it afterwards)" },
      recipient: { value: "AGE1…", text: "the age public key to encrypt to" },
      key: { value: "FILE", text: "the encrypted key to check" },
      identity: { value: "FILE", text: "the age identity that decrypts it" },
    },
    examples: [
      "pmcollect key keygen --out identity.txt",
      "pmcollect key encrypt --recipient age1… --in key.txt --out key.age",
      "pmcollect key check --key key.age --identity identity.txt",
    ],
    database: false,
  },
} as const satisfies Record<string, CommandDoc>;
