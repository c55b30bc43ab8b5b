import assert from "node:assert/strict";
import { parseCommandLine, UsageError } from "./command_line.ts";
import { buildCollectorTasks } from "./run_command.ts";
import { loadConfig } from "../runtime/config.ts";
import { flagName, type SettingKey, SETTINGS } from "../runtime/_settings.ts";
import { silentLogger } from "../runtime/log.ts";
import type { CollectorDeps } from "../collectors/_deps.ts";

Deno.test("parseCommandLine() defaults to run and maps every setting flag to its variable", () => {
  assert.deepEqual(parseCommandLine([]), { command: "run", flags: {}, status: false, args: [] });
  const keys = Object.keys(SETTINGS) as SettingKey[];
  const argv = keys.flatMap((key, i) => [`--${flagName(key)}`, `v${i}`]);
  const { command, flags } = parseCommandLine(["run", ...argv]);
  assert.equal(command, "run");
  assert.deepEqual(flags, Object.fromEntries(keys.map((key, i) => [key, `v${i}`])));
});

Deno.test("parseCommandLine() knows --migrate, migrate --status, --only, inspect and simulate", () => {
  assert.equal(parseCommandLine(["--migrate"]).command, "migrate");
  assert.deepEqual(parseCommandLine(["migrate", "--status"]).status, true);
  assert.deepEqual(parseCommandLine(["--only", "prices,trades"]).flags, {
    PMCOLLECT_COLLECTORS: "prices,trades",
  });
  assert.deepEqual(parseCommandLine(["inspect", "-"]).args, ["-"]);
  assert.deepEqual(parseCommandLine(["simulate", "--markets", "5"]), {
    command: "simulate",
    flags: {},
    status: false,
    args: ["--markets", "5"],
  });
  assert.equal(parseCommandLine(["status", "--help"]).command, "help");
  assert.equal(parseCommandLine(["-V"]).command, "version");
});

Deno.test("parseCommandLine() rejects unknown flags, commands and misplaced arguments", () => {
  for (
    const argv of [
      ["--nope"],
      ["frob"],
      ["inspect"],
      ["status", "extra"],
      ["status", "--status"],
      ["status", "--migrate"],
      ["--prices-interval-s"],
    ]
  ) {
    assert.throws(() => parseCommandLine(argv), UsageError, argv.join(" "));
  }
  assert.throws(() => parseCommandLine(["--nope"]), /^UsageError: Unknown option '--nope' \(see/);
});

Deno.test("buildCollectorTasks() builds one task per enabled collector that has a runner", async () => {
  const config = loadConfig({ PMCOLLECT_COLLECTORS: "prices,books" });
  const seen: string[] = [];
  const runner = (deps: CollectorDeps, signal: AbortSignal) => {
    seen.push(`${deps.context === undefined ? "no" : "a"} context, aborted=${signal.aborted}`);
    return Promise.resolve();
  };
  const shared = { config, log: silentLogger(), now: Date.now } as unknown as Omit<
    CollectorDeps,
    "context"
  >;
  const tasks = buildCollectorTasks(shared, { prices: runner, markets: runner });
  assert.deepEqual(tasks.map((t) => t.name), ["prices"]);
  const context = {
    signal: new AbortController().signal,
    report() {},
    counter() {},
    gauge() {},
    observe() {},
  };
  await tasks[0]?.run(context.signal, context);
  assert.deepEqual(seen, ["a context, aborted=false"]);
});

Deno.test("parseCommandLine() names the command a usage error belongs to", () => {
  const of = (argv: string[]) => {
    try {
      parseCommandLine(argv);
    } catch (err) {
      assert.ok(err instanceof UsageError);
      return [err.command, err.message];
    }
    assert.fail(`${argv.join(" ")} parsed`);
  };
  assert.deepEqual(of(["replay", "--nope"]), [
    "replay",
    "Unknown option '--nope' (see pmcollect replay --help)",
  ]);
  assert.deepEqual(of(["--", "status", "extra"]), [
    "status",
    'Unexpected argument "extra" for the status command',
  ]);
  assert.deepEqual(of(["relations", "--frob"]), [
    "relations",
    "Unknown option '--frob' (see pmcollect relations --help)",
  ]);
  assert.equal(of(["--nope"])[0], undefined);
});
