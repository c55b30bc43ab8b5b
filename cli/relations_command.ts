/**
 * `pmcollect relations`: the relation registry from the command line. Every form first
 * refreshes the registry from the catalog (`refreshRelations`: structure and lexical
 * proposals), so what it shows is current; collectors never run it (they do not import
 * `relations/`).
 *
 * - `relations [list] [--event ID] [--type T] [--status S] [--json]` lists relations
 *   (`--type ladder` matches every `ladder_*`).
 * - `relations check [--json]` runs the falsification check against stored resolutions:
 *   counter-examples reject, findings (0 or 2+ winners, 50-50 members) are reported.
 * - `relations review [--by NAME]` walks the proposals: one line per answer on stdin, `c
 *   [note]` (or `confirm`) confirm, `r [note]` (`reject`) reject, `s` (`skip`) skip, `q`
 *   (`quit`) quit. `--confirm KEY` / `--reject KEY --note TEXT` decide one relation without a
 *   prompt. Decisions record who and when, and later refreshes keep them.
 *   A line it does not understand (`yes`, an empty line, `s later`) is reported on stderr
 *   with its line number and the proposal it answered is left undecided (proposed), so the
 *   answers after it still meet the proposals they were written for; the good answers are
 *   applied, and the command exits 2 once the walk ends. Applying them rather than none keeps
 *   an interactive session's decisions, made one by one, when one key was mistyped.
 *
 * @example
 * ```sh
 * pmcollect relations --type partition --status incomplete
 * pmcollect relations check --json
 * pmcollect relations review --reject proposal:implies:1:2 --note "different resolution source"
 * ```
 */
import { openConfiguredDatabase, schemaIsCurrent } from "./_connect.ts";
import { RELATIONS_OPTIONS, UsageError } from "./command_line.ts";
import { parseOrReport, parseOwnOptions } from "./_own_options.ts";
import type { CommandContext } from "./migrate_command.ts";
import type { Config } from "../runtime/config.ts";
import type { Queryable } from "../db/client.ts";
import {
  listRelations,
  refreshRelations,
  type RelationFilter,
  setRelationStatus,
  type StoredRelation,
} from "../relations/registry.ts";
import { checkRelations } from "../relations/check.ts";
import { formatRelations, formatReviewItem } from "./_relations_format.ts";
import { printText } from "../runtime/log.ts";

const STATUSES = ["proposed", "confirmed", "incomplete", "stale", "rejected"] as const;

/** Parsed `relations` arguments. */
export interface RelationsArgs {
  action: "list" | "check" | "review";
  filter: RelationFilter;
  json: boolean;
  confirm?: string;
  reject?: string;
  note?: string;
  by: string;
}

/** Parses what `parseCommandLine` handed on. @throws {UsageError} */
export function parseRelationsArgs(args: readonly string[]): RelationsArgs {
  const { values, positionals } = parseOwnOptions(args, {
    options: RELATIONS_OPTIONS,
    allowPositionals: true,
  });
  const [first = "list", ...rest] = positionals;
  if (!["list", "refresh", "check", "review"].includes(first) || rest.length > 0) {
    throw new UsageError(
      `relations takes one of list, check, review; got "${positionals.join(" ")}"`,
    );
  }
  const action = first === "refresh" ? "list" : first as RelationsArgs["action"];
  const status = values.status;
  if (status !== undefined && !(STATUSES as readonly string[]).includes(status)) {
    throw new UsageError(`--status must be one of ${STATUSES.join(", ")}, got "${status}"`);
  }
  if ((values.confirm !== undefined || values.reject !== undefined) && action !== "review") {
    throw new UsageError("--confirm and --reject belong to: pmcollect relations review");
  }
  if (values.confirm !== undefined && values.reject !== undefined) {
    throw new UsageError("give --confirm or --reject, not both");
  }
  if (values.reject !== undefined && (values.note ?? "").trim() === "") {
    throw new UsageError('--reject needs a reason: --note "…"');
  }
  return {
    action,
    filter: {
      type: values.type,
      status: status as RelationFilter["status"],
      eventId: values.event,
    },
    json: values.json === true,
    confirm: values.confirm,
    reject: values.reject,
    note: values.note,
    by: values.by ?? "reviewer",
  };
}

/** Runs `pmcollect relations …`; returns the exit code. */
export async function runRelationsCommand(
  config: Config,
  context: CommandContext & {
    readonly args: readonly string[];
    /** Answers for the interactive review, one per line (main.ts passes stdin). */
    readonly lines?: AsyncIterable<string>;
    readonly now?: () => Date;
    /** Where a review line it does not understand is reported (default: stderr). */
    readonly warn?: (line: string) => void;
  },
): Promise<number> {
  const { log, signal, write } = context;
  const args = parseOrReport("relations", parseRelationsArgs, context.args);
  if (args === null) return 2;
  const db = await openConfiguredDatabase(config, { log, signal, poolSize: 2 });
  try {
    if (!await schemaIsCurrent(db.sql, write)) return 1;
    const refreshed = await refreshRelations(db.sql);
    log.info("relations_refreshed", refreshed);
    if (args.action === "check") {
      const summary = await checkRelations(db.sql, { now: context.now?.() });
      if (args.json) write(JSON.stringify(summary));
      else {
        write(`checked ${summary.checked} relations`);
        for (const r of summary.rejected) {
          write(`rejected ${r.key}: ${r.counterExample.reason}`);
        }
        for (const f of summary.findings) {
          write(`finding ${f.kind} ${f.key} ${JSON.stringify(f.detail)}`);
        }
      }
      return 0;
    }
    if (args.action === "review") return await review(db.sql, args, context);
    const relations = await listRelations(db.sql, args.filter);
    write(args.json ? JSON.stringify(relations) : formatRelations(relations));
    return 0;
  } finally {
    await db.close();
  }
}

async function review(
  sql: Queryable,
  args: RelationsArgs,
  context: CommandContext & {
    lines?: AsyncIterable<string>;
    now?: () => Date;
    warn?: (line: string) => void;
  },
): Promise<number> {
  const { write } = context;
  const at = context.now?.() ?? new Date();
  const one = args.confirm ?? args.reject;
  if (one !== undefined) {
    const status = args.confirm !== undefined ? "confirmed" : "rejected";
    if (!await setRelationStatus(sql, one, status, { by: args.by, note: args.note, at })) {
      write(`no relation ${one}`);
      return 1;
    }
    write(`${status} ${one}`);
    return 0;
  }
  const proposals = await listRelations(sql, { ...args.filter, status: "proposed" });
  const counts = { confirmed: 0, rejected: 0, skipped: 0, "not understood": 0 };
  const warn = context.warn ?? ((line: string) => printText("stderr", line));
  const answers = context.lines?.[Symbol.asyncIterator]();
  let lineNumber = 0;
  for (const relation of proposals) {
    write(await describe(sql, relation));
    write("[c]onfirm [note], [r]eject [note], [s]kip, [q]uit?");
    const next = answers === undefined ? undefined : await answers.next();
    if (next === undefined || next.done) break;
    lineNumber++;
    const answer = parseReviewAnswer(next.value);
    if (answer === null) {
      warn(
        `pmcollect relations: line ${lineNumber}: ${JSON.stringify(next.value.trim())} is not ` +
          `an answer (c [note], r [note], s or q); ${relation.key} stays proposed`,
      );
      counts["not understood"]++;
      continue;
    }
    if (answer.verb === "quit") break;
    if (answer.verb === "skip") {
      counts.skipped++;
      continue;
    }
    const status = answer.verb === "confirm" ? "confirmed" : "rejected";
    await setRelationStatus(sql, relation.key, status, { by: args.by, note: answer.note, at });
    counts[status]++;
  }
  const bad = counts["not understood"];
  write(
    `confirmed ${counts.confirmed}, rejected ${counts.rejected}, skipped ${counts.skipped}` +
      `${bad > 0 ? `, ${bad} not understood` : ""} of ${proposals.length} proposals`,
  );
  return bad > 0 ? 2 : 0;
}

/** One review answer. */
export interface ReviewAnswer {
  readonly verb: "confirm" | "reject" | "skip" | "quit";
  /** The note after `c` or `r`, or null. */
  readonly note: string | null;
}

const VERBS: ReadonlyMap<string, ReviewAnswer["verb"]> = new Map([
  ["c", "confirm"],
  ["confirm", "confirm"],
  ["r", "reject"],
  ["reject", "reject"],
  ["s", "skip"],
  ["skip", "skip"],
  ["q", "quit"],
  ["quit", "quit"],
]);

/**
 * `c [note]`, `r [note]`, `s`, `q` (or the words), case-insensitive; null for anything else,
 * an empty line and `s`/`q` followed by text included.
 */
export function parseReviewAnswer(line: string): ReviewAnswer | null {
  const text = line.trim();
  const word = text.split(/\s/, 1)[0] ?? "";
  const verb = VERBS.get(word.toLowerCase());
  const note = text.slice(word.length).trim();
  if (verb === undefined) return null;
  if ((verb === "skip" || verb === "quit") && note !== "") return null;
  return { verb, note: note === "" ? null : note };
}

async function describe(sql: Queryable, relation: StoredRelation): Promise<string> {
  const rows = await sql<{ market_id: string; question: string | null; event_id: string | null }[]>`
    select market_id, question, event_id from markets where market_id = any(${relation.members})`;
  return formatReviewItem(relation, new Map(rows.map((r) => [r.market_id, r])));
}

/** Lines of a byte stream (stdin), for the interactive review. */
export async function* readLines(stream: ReadableStream<Uint8Array>): AsyncIterable<string> {
  let buffer = "";
  for await (const chunk of stream.pipeThrough(new TextDecoderStream())) {
    buffer += chunk;
    let newline;
    while ((newline = buffer.indexOf("\n")) >= 0) {
      yield buffer.slice(0, newline);
      buffer = buffer.slice(newline + 1);
    }
  }
  if (buffer !== "") yield buffer;
}
