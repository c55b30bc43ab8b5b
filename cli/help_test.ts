/**
 * Each command's `--help` is its own page: its usage, every option its parser accepts (the
 * option tables of command_line.ts), defaults and examples; `pmcollect --help` is the overview.
 */
import assert from "node:assert/strict";
import {
  BACKFILL_OPTIONS,
  BACKTEST_OPTIONS,
  BOOK_OPTIONS,
  DATASET_OPTIONS,
  EDGE_OPTIONS,
  EXPORT_OPTIONS,
  FORECAST_OPTIONS,
  KILL_OPTIONS,
  MODEL_OPTIONS,
  PAPER_OPTIONS,
  parseCommandLine,
  RELATIONS_OPTIONS,
  REPLAY_OPTIONS,
  REPORT_OPTIONS,
  RESUME_OPTIONS,
  UsageError,
} from "./command_line.ts";
import { commandHelpText, HELP_TOPICS, helpPage, helpText, type HelpTopic } from "./help.ts";
import { COLLECT_DOCS } from "./_command_docs.ts";
import { ANALYSIS_DOCS } from "./_command_docs_analysis.ts";
import { flagName, type SettingKey, SETTINGS } from "../runtime/_settings.ts";

/** The options each command's parser accepts (simulate's and key's are parsed by their own). */
const ACCEPTED: Record<HelpTopic, readonly string[]> = {
  run: ["only", "live", ...(Object.keys(SETTINGS) as SettingKey[]).map(flagName)],
  migrate: ["status"],
  status: ["quality"],
  backfill: Object.keys(BACKFILL_OPTIONS),
  export: Object.keys(EXPORT_OPTIONS),
  relations: Object.keys(RELATIONS_OPTIONS),
  edge: Object.keys(EDGE_OPTIONS),
  book: Object.keys(BOOK_OPTIONS),
  replay: Object.keys(REPLAY_OPTIONS),
  backtest: Object.keys(BACKTEST_OPTIONS),
  paper: Object.keys(PAPER_OPTIONS),
  report: Object.keys(REPORT_OPTIONS),
  dataset: Object.keys(DATASET_OPTIONS),
  model: Object.keys(MODEL_OPTIONS),
  forecast: Object.keys(FORECAST_OPTIONS),
  orders: ["all", "json"],
  positions: ["json"],
  resume: Object.keys(RESUME_OPTIONS),
  kill: Object.keys(KILL_OPTIONS),
  inspect: [],
  // simulator/cli.ts's parseArgs options and keys/age_key.ts's.
  simulate: [
    "port",
    "hostname",
    "markets",
    "seed",
    "tick-ms",
    "rate-limits",
    "load",
    "activity",
    "faults",
    "plant",
  ],
  key: ["out", "in", "recipient", "key", "identity"],
};

Deno.test("commandHelpText() gives each command its own page: usage, every option, examples", () => {
  const pages = new Map<string, HelpTopic>();
  for (const topic of HELP_TOPICS) {
    const page = commandHelpText(topic);
    assert.ok(!pages.has(page), `${topic}'s page is ${pages.get(page)}'s`);
    pages.set(page, topic);
    assert.notEqual(page, helpText());
    assert.match(page, /^Usage:/m, topic);
    assert.ok(page.includes(`pmcollect ${topic === "run" ? "[run]" : topic}`), `${topic} usage`);
    for (const option of ACCEPTED[topic]) {
      assert.match(page, new RegExp(`--${option}\\b`), `${topic} --${option}`);
    }
    const examples = page.split(/^Examples:\n/m)[1]?.split("\n\n")[0]?.split("\n") ?? [];
    assert.ok(
      examples.length >= 2 && examples.length <= 3,
      `${topic}: ${examples.length} examples`,
    );
    // Every example is a command line of that command, and parses.
    for (const line of examples) {
      const command = line.trim().replace(/^(?:\S+=\S+ )+/, "").replace(/^cat \S+ \| /, "");
      assert.match(command, /^pmcollect /, line);
      const argv = command.split(/\s+/).slice(1).map((w) => w.replace(/^"|"$/g, ""));
      if (argv.some((w) => w.includes("…"))) continue;
      const parsed = parseCommandLine(argv);
      assert.equal(parsed.command, topic === "migrate" ? "migrate" : topic, line);
    }
  }
});

Deno.test("commandHelpText() shows each option's default", () => {
  const docs = { ...COLLECT_DOCS, ...ANALYSIS_DOCS };
  let defaults = 0;
  for (const [topic, doc] of Object.entries(docs)) {
    const page = commandHelpText(topic as HelpTopic).replace(/\s+/g, " ");
    for (const [name, option] of Object.entries(doc.options)) {
      if (!("default" in option)) continue;
      defaults++;
      assert.ok(page.includes(`(default: ${option.default})`), `${topic} --${name}`);
    }
  }
  assert.ok(defaults >= 25, `${defaults} defaults`);
  const replay = commandHelpText("replay").replace(/\s+/g, " ");
  assert.ok(replay.includes("--pace N N × real time: 2 is twice as fast (default: as fast"));
  assert.match(commandHelpText("simulate"), /--activity MODE .*\(default busy\)/);
});

Deno.test("helpText() is an overview: every command, one line each, and where the details are", () => {
  const overview = helpText();
  for (const topic of HELP_TOPICS) assert.match(overview, new RegExp(`^ {2}${topic} +\\S`, "m"));
  assert.ok(overview.includes("pmcollect <command> --help"));
  assert.ok(overview.split("\n").length < 60, `${overview.split("\n").length} lines`);
  assert.ok(!overview.includes("PMCOLLECT_DB_POOL_SIZE"), "settings are on run's page");
  const run = commandHelpText("run");
  for (const key of Object.keys(SETTINGS) as SettingKey[]) {
    assert.ok(run.includes(`--${flagName(key)} <value>\n      ${key}  default: `), key);
    assert.ok(run.includes(SETTINGS[key].description), key);
  }
});

Deno.test("parseCommandLine() turns `<command> --help` and `help <command>` into that page", () => {
  for (const topic of HELP_TOPICS) {
    const argv = topic === "run" ? ["run", "--help"] : [topic, "-h"];
    assert.deepEqual(parseCommandLine(argv), {
      command: "help",
      flags: {},
      status: false,
      args: [topic],
    }, argv.join(" "));
    assert.deepEqual(parseCommandLine(["help", topic]).args, [topic]);
    assert.equal(helpPage(topic), commandHelpText(topic));
  }
  assert.deepEqual(parseCommandLine(["--help"]).args, []);
  assert.equal(helpPage(undefined), helpText());
  assert.deepEqual(parseCommandLine(["relations", "review", "--help"]).args, ["relations"]);
  assert.deepEqual(parseCommandLine(["book", "--help"]).args, ["book"], "no TOKEN needed");
  assert.deepEqual(parseCommandLine(["--migrate", "--help"]).args, ["migrate"]);
  assert.deepEqual(parseCommandLine(["key", "encrypt", "--help"]).args, ["key"]);
  assert.deepEqual(parseCommandLine(["simulate", "--port", "0", "-h"]).args, ["simulate"]);
  // After `--`, a --help belongs to the simulator's arguments.
  assert.equal(parseCommandLine(["simulate", "--", "--help"]).command, "simulate");
  assert.throws(() => parseCommandLine(["help", "frob"]), UsageError);
  assert.throws(() => parseCommandLine(["frob", "--help"]), /Unknown command "frob"/);
  assert.throws(() => parseCommandLine(["replay", "--nope"]), /see pmcollect replay --help/);
});
