/**
 * `pmcollect export` with unusable options (issue 27): `--retain-days -1` and a folder it cannot
 * write get one clear line naming the option and the reason, and exit code 2, before the
 * database is opened. Run as `deno task start` runs the program (the same permission flags:
 * no --allow-all, which is what made Deno print its own hint for /proc).
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { fileURLToPath as fromFileUrl } from "node:url";

const MAIN = fromFileUrl(new URL("../main.ts", import.meta.url));
const CONFIG = fromFileUrl(new URL("../deno.json", import.meta.url));
/** The permissions of the `start` task in deno.json. */
const START_FLAGS = [
  "--allow-net",
  "--allow-env",
  "--allow-read",
  "--allow-write",
  "--allow-sys",
  "--allow-ffi",
];

async function pmcollect(args: string[]) {
  // A database nobody listens on: a check that let the command through would fail otherwise.
  const env = { DATABASE_URL: "postgres://nobody@127.0.0.1:9/none", NO_COLOR: "1" };
  const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--quiet", ...START_FLAGS, "--config", CONFIG, MAIN, ...args],
    env,
    // A command that got past the checks would try that database for a long time: stop it.
    signal: AbortSignal.timeout(60_000),
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder();
  return { code, stdout: text.decode(stdout), stderr: text.decode(stderr).trim() };
}

Deno.test("pmcollect export --retain-days -1 (or 0, or 1.5) says what it must be and exits 2", async () => {
  const out = await Deno.makeTempDir({ prefix: "pmcollect_export_usage_" });
  try {
    for (const value of ["-1", "0", "1.5"]) {
      for (const args of [["--retain-days", value], [`--retain-days=${value}`]]) {
        const r = await pmcollect(["export", "--out", out, ...args]);
        assert.equal(r.code, 2, r.stderr);
        assert.equal(
          r.stderr,
          `pmcollect export: --retain-days must be a whole number of days ≥ 1, got "${value}"`,
        );
      }
    }
  } finally {
    await Deno.remove(out, { recursive: true });
  }
});

Deno.test("pmcollect export --out a folder it cannot write names the folder and the reason, exits 2", async () => {
  const dir = await Deno.makeTempDir({ prefix: "pmcollect_export_usage_" });
  try {
    const file = join(dir, "a-file");
    await Deno.writeTextFile(file, "x");
    const cases = [
      [
        "/proc/x",
        "a system folder (under /proc, /sys or /dev) that this program does not write to",
      ],
      [join(file, "parquet"), "a file is in the way (not a folder)"],
    ] as const;
    for (const [out, reason] of cases) {
      for (const dry of [[], ["--dry-run"]]) {
        const r = await pmcollect(["export", "--out", out, ...dry]);
        assert.equal(r.code, 2, r.stderr);
        assert.equal(r.stderr, `pmcollect export: cannot write to --out ${out}: ${reason}`);
        assert.doesNotMatch(r.stderr, /--allow-all/);
      }
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
