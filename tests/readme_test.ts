import assert from "node:assert/strict";
import { flagName, type SettingKey, SETTINGS } from "../runtime/_settings.ts";
import { parseCommandLine } from "../cli/command_line.ts";
import { SIMULATE_HELP } from "../simulator/cli.ts";
import { HELP_TOPICS } from "../cli/help.ts";

const readme = await Deno.readTextFile(new URL("../README.md", import.meta.url));

Deno.test("README documents every setting with its flag and default", () => {
  for (const [key, setting] of Object.entries(SETTINGS)) {
    const row = readme.split("\n").find((line) => new RegExp(`^\\| \`${key}\` +\\|`).test(line));
    assert.ok(row, `README has a row for ${key}`);
    assert.ok(row.includes(`\`--${flagName(key as SettingKey)}\``), `${key} row names its flag`);
    if (setting.default !== undefined && setting.default !== "") {
      assert.ok(row.includes(`\`${setting.default}\``), `${key} row shows default`);
    }
  }
});

Deno.test("README keeps the two commands that run the collector and the tests", async () => {
  assert.match(readme, /^deno task start$/m);
  assert.match(readme, /^deno task test$/m);
  const tasks = JSON.parse(await Deno.readTextFile(new URL("../deno.json", import.meta.url)))
    .tasks as Record<string, string>;
  for (const task of ["start", "test", "bench", "check", "compile", "dev"]) {
    assert.ok(tasks[task], `deno.json has task ${task}`);
  }
});

/** Commands the README shows: ```sh blocks and inline code spans, without env and comments. */
function documentedCommands(): string[] {
  const found: string[] = [];
  for (const block of readme.matchAll(/^```sh\n([\s\S]*?)^```$/gm)) {
    found.push(...block[1]!.split("\n"));
  }
  for (const span of readme.matchAll(/`([^`\n]+)`/g)) found.push(span[1]!);
  return found
    .map((line) => line.replace(/\s+#.*$/, "").trim())
    .map((line) => line.replace(/^(?:[A-Z_]+=\S+\s+)+/, ""))
    .filter((line) => /^(?:pmcollect|deno task) /.test(line));
}

/** argv of a documented `pmcollect …` or `deno task start …` line (null for other tasks). */
function argvOf(command: string): string[] | null {
  const words = command.split(/\s+/);
  if (words[0] === "pmcollect") return words.slice(1);
  if (words[1] === "task" && words[2] === "start") return words.slice(3);
  return null;
}

Deno.test("README: every documented deno task exists", async () => {
  const tasks = JSON.parse(await Deno.readTextFile(new URL("../deno.json", import.meta.url)))
    .tasks as Record<string, string>;
  const named = documentedCommands().filter((c) => c.startsWith("deno task "))
    .map((c) => c.split(/\s+/)[2]!);
  assert.ok(named.includes("demo") && named.includes("start"), named.join(","));
  for (const name of named) assert.ok(tasks[name], `deno task ${name}`);
});

Deno.test("README: every documented pmcollect / deno task start command line parses", () => {
  const lines = documentedCommands().map(argvOf).filter((a): a is string[] => a !== null);
  assert.ok(lines.length >= 12, `only ${lines.length} commands found`);
  let checked = 0;
  for (const argv of lines) {
    if (argv.some((w) => w === "X" || w === "FILE" || w.includes("|") || w === "...")) continue;
    const parsed = parseCommandLine(argv);
    assert.ok(parsed.command, argv.join(" "));
    if (parsed.command === "simulate") {
      for (const flag of parsed.args.filter((a) => a.startsWith("--"))) {
        assert.ok(SIMULATE_HELP.includes(flag), `simulate ${flag} is documented in --help`);
      }
    }
    checked++;
  }
  assert.ok(checked >= 10, `only ${checked} command lines checked`);
});

Deno.test("README: the simulator's flag table lists every flag of simulate --help", () => {
  const inHelp = [...SIMULATE_HELP.matchAll(/^ {2}(?:-\w, )?(--[a-z-]+)/gm)].map((m) => m[1]!)
    .filter((f) => f !== "--help");
  assert.ok(inHelp.length >= 8, inHelp.join(","));
  for (const flag of inHelp) {
    assert.match(readme, new RegExp(`^\\| \`${flag}[ \`]`, "m"), `README row for ${flag}`);
  }
});

Deno.test("deno.lock pins only the run path; test-only packages live in deno.test.lock", async () => {
  const read = async (name: string) =>
    JSON.parse(await Deno.readTextFile(new URL(`../${name}`, import.meta.url))) as {
      specifiers: Record<string, string>;
      npm: Record<string, unknown>;
    };
  const config = JSON.parse(await Deno.readTextFile(new URL("../deno.json", import.meta.url)));
  const run = await read("deno.lock");
  const test = await read("deno.test.lock");
  assert.deepEqual(
    Object.keys(run.specifiers).sort(),
    // "npm:/@noble/curves@2.0.1/" (a subpath mapping) pins the package "npm:@noble/curves@2.0.1".
    [...new Set((Object.values(config.imports) as string[]).map(packageOf))].sort(),
  );
  const testOnly = ["npm:testcontainers@12.2.0", "npm:@polymarket/clob-client-v2@1.1.0"];
  for (const pkg of testOnly) {
    assert.ok(!(pkg in run.specifiers), `${pkg} is not in deno.lock`);
    assert.ok(pkg in test.specifiers, `${pkg} is pinned in deno.test.lock`);
    assert.ok(readme.includes(`\`${pkg.slice(4).replace(/@(?=[\d.]+$)/, "` ")}`), pkg);
  }
  assert.ok(Object.keys(run.npm).length < 30, `${Object.keys(run.npm).length} npm packages`);
});

Deno.test("README: the Usage block names every command with a help page, and <command> --help", () => {
  const usage = readme.split(/^## Usage\n/m)[1]?.split(/^```\n/m)[1] ?? "";
  const lines = usage.split("\n").filter((l) => l.startsWith("pmcollect "));
  assert.ok(lines.length >= HELP_TOPICS.length, usage);
  for (const topic of HELP_TOPICS) {
    const named = topic === "run" ? "pmcollect [run]" : topic === "migrate" ? "migrate" : topic;
    assert.ok(lines.some((l) => l.includes(named)), `README Usage lists ${topic}`);
  }
  assert.ok(lines.some((l) => l.startsWith("pmcollect <command> --help")));
});

/** The package a deno.json import value pins: "npm:/@scope/name@1.2.3/" → "npm:@scope/name@1.2.3". */
function packageOf(specifier: string): string {
  const match = /^npm:\/?((?:@[^/]+\/)?[^/@]+@[^/]+)/.exec(specifier);
  return match === null ? specifier : `npm:${match[1]}`;
}
