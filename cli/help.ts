/**
 * The `--help` text: usage, commands, examples, exit codes and every setting from the
 * SETTINGS table with its flag, environment variable, default and description.
 *
 * @example
 * ```ts
 * import { helpText } from "./help.ts";
 * printText("stdout", helpText());
 * ```
 */
import { flagName, type SettingKey, SETTINGS } from "../runtime/_settings.ts";

/** The program version; the commit comes from PMCOLLECT_BUILD_COMMIT at build time. */
export const VERSION = "0.1.0";

/** `pmcollect 0.1.0 (abc1234)`, or `(dev)` when no commit was baked in. */
export function versionText(commit: string | undefined): string {
  return `pmcollect ${VERSION} (${commit === undefined || commit === "" ? "dev" : commit})`;
}

/** The full help text. */
export function helpText(): string {
  const keys = Object.keys(SETTINGS) as SettingKey[];
  const settings = keys.map((key) => {
    const setting = SETTINGS[key];
    const shown = setting.default === undefined
      ? "(unset)"
      : setting.default === ""
      ? '""'
      : setting.default;
    return `  --${
      flagName(key)
    } <value>\n      ${key}  default: ${shown}\n      ${setting.description}`;
  });
  return `pmcollect ${VERSION}: collects Polymarket into PostgreSQL/TimescaleDB

Usage:
  pmcollect [run] [flags]          migrate if needed, then collect until SIGINT/SIGTERM
  pmcollect --migrate [flags]      apply pending migrations and exit (same as: migrate)
  pmcollect migrate [--status]     apply migrations, or list applied/pending with checksums
  pmcollect status [flags]         rows per table in the last hour/day, last runs, gaps
  pmcollect status --quality       plus coverage (24 h / 7 d), gaps by cause, rejects by reason
                                   and the websocket-vs-Data-API trade capture
  pmcollect backfill [options]     fill recorded gaps (and history with --since) from
                                   /prices-history and the Data API; resumable, rate-limited
                                   --since/--until ISO dates, --markets ids, --events ids,
                                   --tag id, --gaps-only, --dry-run (requests and duration)
  pmcollect edge --event ID [--at ISO-TIME] [--json] [--convert-fee-bips N]
                                   the best plan per channel (neg-risk conversion and basket,
                                   LP, implication pairs of confirmed ladders) on the books of
                                   an event at that instant, with the fees in force then, and
                                   book alarms; paper only. N = the adapter's feeBips (read on
                                   chain), without it the conversion makes no plan. Closed,
                                   resolved or not-accepting markets are never priced; books
                                   come from the recorded stream, or a REST snapshot at most
                                   --rest-max-age-ms old (default 360000), labelled
  pmcollect edge --relation KEY    the same for one confirmed relation, across events
  pmcollect backtest [--from-file F] [--since ISO] [--until ISO] [--events ids]
                                   the live scanner over the recorded stream (book_events),
                                   or over a capture (PMCOLLECT_SCANNER_CAPTURE) with
                                   --from-file; episodes stored as replayed
  pmcollect report --day YYYY-MM-DD [--html FILE] [--replayed]
                                   episodes per channel: count, median duration, capacity,
                                   profit after fees, survival; --html adds plots
  pmcollect export --out DIR [options]
                                   tables as ZSTD Parquet, one folder per table and UTC day,
                                   with a manifest; --tables a,b --since/--until YYYY-MM-DD
                                   --time-column ts --force (re-export verified days)
                                   --retain-days N (then drop older days whose export
                                   verifies) --dry-run (see docs/export.md)
  pmcollect relations [options]    refresh the relation registry, then list it: --event ID,
                                   --type T (ladder = every ladder_*), --status S, --json
  pmcollect relations check        falsify relations against stored resolutions (--json)
  pmcollect relations review       walk proposals on stdin (c, r [note], s, q; --by NAME), or
                                   --confirm KEY / --reject KEY --note TEXT
  pmcollect book TOKEN             a token's book rebuilt from the recorded stream
                                   (--at ISO-TIME, default latest; --json)
  pmcollect replay                 recorded book events as NDJSON in arrival order
                                   (--tokens ID,ID or --event ID, --since/--until ISO,
                                   --pace N = N x real time; --parquet DIR reads a
                                   pmcollect export folder instead of the database)
  pmcollect inspect FILE|-         parse a captured payload and print what would be stored
  pmcollect simulate [args]        run the local Polymarket simulator on loopback
                                   (flags: pmcollect simulate --help)
  pmcollect key encrypt|check|keygen [args]
                                   age-encrypted trading key (see docs/deploy.md)
  pmcollect --version | --help

Flags:
  --only <collectors>              same as PMCOLLECT_COLLECTORS, e.g. --only prices,books
  -h, --help                       this text
  -V, --version                    version and build commit

Every setting is read from its environment variable; the flag of the same name wins.
Before the binary exists, pmcollect X is \`deno task start X\`; \`deno task demo\` runs the
simulator and the collector together.

Examples:
  pmcollect --migrate --database-url postgres://pm@127.0.0.1:5432/polymarket
  DATABASE_URL=postgres://pm@127.0.0.1/polymarket pmcollect run --only prices,trades
  pmcollect run --prices-interval-s 30 --health-port 9464
  pmcollect migrate --status
  pmcollect backfill --gaps-only --dry-run
  pmcollect backfill --since 2026-01-01 --markets 0xabc…,12345
  pmcollect export --out /srv/parquet --retain-days 30 --dry-run
  curl -s 127.0.0.1:9464/healthz; curl -s 127.0.0.1:9464/metrics
  pmcollect edge --event 903193 --json --convert-fee-bips 0
  pmcollect inspect captured_book.json
  cat frames.ndjson | pmcollect inspect -

Exit codes:
  0    success (including a clean shutdown after SIGINT/SIGTERM)
  1    runtime or migration failure, or the shutdown deadline was exceeded
  2    usage or configuration error
  130  a second SIGINT during shutdown (a repeat within 1 s is the same Ctrl-C)
  143  a second SIGTERM during shutdown

Settings:
${settings.join("\n")}`;
}
