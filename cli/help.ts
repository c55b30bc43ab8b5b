/**
 * The help pages. `pmcollect --help` is an overview: the commands with one line each, the flags
 * every command takes and the exit codes. `pmcollect <command> --help` (or `pmcollect help
 * <command>`) is that command's own page: usage, what it does, every option with its default,
 * examples and exit codes; `run --help` also lists every setting with its flag, environment
 * variable, default and description. The pages' words are in `_command_docs*.ts`; the
 * simulator keeps its own (simulator/cli.ts).
 *
 * @example
 * ```ts
 * import { commandHelpText, helpText } from "./help.ts";
 * printText("stdout", helpText());
 * printText("stdout", commandHelpText("replay"));
 * ```
 */
import { flagName, type SettingKey, SETTINGS } from "../runtime/_settings.ts";
import { SIMULATE_HELP } from "../simulator/cli.ts";
import { VERSION } from "./build_info.ts";
import { COLLECT_DOCS, type CommandDoc, type OptionDoc } from "./_command_docs.ts";
import { ANALYSIS_DOCS } from "./_command_docs_analysis.ts";
import { LEDGER_DOCS } from "./_command_docs_ledger.ts";
import { PAPER_DOCS } from "./_command_docs_paper.ts";
import { DATASET_DOCS } from "./_command_docs_dataset.ts";
import { MODEL_DOCS } from "./_command_docs_model.ts";
import { FORECAST_DOCS } from "./_command_docs_forecast.ts";

/** The commands that have a page, in the overview's order. */
export const HELP_TOPICS = [
  "run",
  "migrate",
  "status",
  "backfill",
  "export",
  "relations",
  "edge",
  "book",
  "replay",
  "backtest",
  "paper",
  "report",
  "dataset",
  "model",
  "forecast",
  "orders",
  "positions",
  "resume",
  "kill",
  "inspect",
  "simulate",
  "key",
] as const;
export type HelpTopic = (typeof HELP_TOPICS)[number];

const DOCS: Record<Exclude<HelpTopic, "simulate">, CommandDoc> = {
  ...COLLECT_DOCS,
  ...ANALYSIS_DOCS,
  ...LEDGER_DOCS,
  ...DATASET_DOCS,
  ...MODEL_DOCS,
  ...FORECAST_DOCS,
  ...PAPER_DOCS,
};
const WIDTH = 100;

/** The overview: commands, common flags, exit codes, where to read more. */
export function helpText(): string {
  const commands = HELP_TOPICS.map((topic) =>
    wrap(`  ${topic.padEnd(11)}`, topic === "simulate" ? SIMULATE_SUMMARY : DOCS[topic].summary)
  );
  return `pmcollect ${VERSION}: collects Polymarket into PostgreSQL/TimescaleDB

Usage:
  pmcollect [command] [options] [setting flags]
  pmcollect <command> --help       that command's options, defaults and examples
  pmcollect --version | --help

Commands (run is the default):
${commands.join("\n")}

Flags every command takes:
  --database-url URL, --data-dir DIR, … every setting is an environment variable and a flag of
  the same name (the flag wins): \`pmcollect run --help\` lists them with their defaults.
  -h, --help                       help (overview, or the command's page after a command)
  -V, --version                    version and the commit it was built from

Before the binary exists, pmcollect X is \`deno task start X\`; \`deno task demo\` runs the
simulator and the collector together.

Examples:
  pmcollect --migrate --database-url postgres://pm@127.0.0.1:5432/polymarket
  pmcollect run --only prices,trades
  pmcollect status --quality
  pmcollect replay --help

Exit codes:
  0    success (including a clean shutdown after SIGINT/SIGTERM)
  1    runtime or migration failure, or the shutdown deadline was exceeded
  2    usage or configuration error (one line on stderr: pmcollect <command>: what is wrong)
  130  a second SIGINT during shutdown (a repeat within 1 s is the same Ctrl-C)
  143  a second SIGTERM during shutdown`;
}

const SIMULATE_SUMMARY = "run the local Polymarket simulator on loopback (tests, demos)";

/** What `--help` prints: the page of `topic` when it has one, else the overview. */
export function helpPage(topic: string | undefined): string {
  return topic !== undefined && (HELP_TOPICS as readonly string[]).includes(topic)
    ? commandHelpText(topic as HelpTopic)
    : helpText();
}

/** One command's page. */
export function commandHelpText(topic: HelpTopic): string {
  if (topic === "simulate") return SIMULATE_HELP.trimEnd();
  const doc = DOCS[topic];
  const options = Object.entries(doc.options).map(([name, option]) => optionLine(name, option));
  const sections = [
    `pmcollect ${topic}: ${doc.summary}`,
    ["Usage:", ...doc.usage.map((line) => `  pmcollect ${line}`)].join("\n"),
    wrap("", doc.about),
    ...(options.length === 0 ? [] : [["Options:", ...options].join("\n")]),
    ["Examples:", ...doc.examples.map((line) => `  ${line}`)].join("\n"),
    wrap("", `Exit codes: ${doc.exits ?? "0 success, 1 failure, 2 bad usage"}.`),
    doc.database ? wrap("", DATABASE_NOTE) : wrap("", SETTINGS_NOTE),
  ];
  if (topic === "run") sections.push(settingsText());
  return sections.join("\n\n");
}

const DATABASE_NOTE =
  "The database: DATABASE_URL or --database-url (a PostgreSQL/TimescaleDB server); unset, the " +
  "embedded PGlite under --data-dir (default ./data). Every setting flag is accepted: " +
  "`pmcollect run --help` lists them.";
const SETTINGS_NOTE = "Setting flags are accepted but not used: `pmcollect run --help`.";

/** Every setting with its flag, variable, default and description. */
export function settingsText(): string {
  const keys = Object.keys(SETTINGS) as SettingKey[];
  const lines = keys.map((key) => {
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
  return `Settings (environment variable, or the flag of the same name, which wins):
${lines.join("\n")}`;
}

function optionLine(name: string, option: OptionDoc): string {
  const head = `  --${name}${option.value === undefined ? "" : ` ${option.value}`}`;
  const text = option.default === undefined
    ? option.text
    : `${option.text} (default: ${option.default})`;
  return head.length < 26 ? wrap(head.padEnd(26), text) : `${head}\n${wrap(" ".repeat(26), text)}`;
}

/** `text` after `lead`, wrapped at WIDTH with continuation lines indented like `lead`. */
function wrap(lead: string, text: string): string {
  const indent = " ".repeat(lead.length);
  const lines: string[] = [];
  let line = lead;
  for (const word of text.split(/\s+/)) {
    const fresh = line.length === lead.length && lines.length === 0 || line === indent;
    if (!fresh && line.length + 1 + word.length > WIDTH) {
      lines.push(line);
      line = indent + word;
    } else line = fresh ? line + word : `${line} ${word}`;
  }
  lines.push(line);
  return lines.join("\n");
}
