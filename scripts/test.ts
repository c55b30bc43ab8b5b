/**
 * `deno task test [deno test options] [test files or folders]`: the suite in two runs, as CI runs
 * it (README, "Run the tests"). First every test file but the serial ones, four files at a time
 * (`DENO_JOBS=4 deno test --parallel`); then, alone, the serial ones ({@link SERIAL}: their
 * `pmcollect run` subprocesses must act within a planted venue's few-second episodes, which the
 * parallel run's load could starve past). The second run starts only when the first passed.
 *
 * Options go to both runs. Files or folders, when given, choose what runs: the serial files among
 * them (or inside a folder given) run in the second run, the others in the first, and a run left
 * with nothing to test is skipped. An argument that names an existing file or folder is taken as
 * one; an option's value that does so must be written `--option=value`.
 *
 * Exits with the first failing run's code, else 0.
 *
 * @example
 * ```sh
 * deno task test                                   # the whole suite
 * deno task test --filter dataset tests/           # both runs, tests named *dataset*
 * deno task test tests/dataset_parquet_test.ts     # that file alone, in the parallel run
 * ```
 */
import { printText } from "../runtime/log.ts";

/** The test files that run alone, after the others. */
export const SERIAL = ["tests/live_run_test.ts", "tests/planted_product_test.ts"] as const;

const PERMISSIONS = [
  "--lock=deno.test.lock",
  "--allow-net",
  "--allow-env",
  "--allow-read",
  "--allow-write",
  "--allow-sys",
  "--allow-run",
  "--allow-ffi",
];

/** One `deno test` run: its arguments after `deno test`, and whether it runs files in parallel. */
export interface TestRun {
  readonly parallel: boolean;
  readonly args: readonly string[];
}

/** Drops a leading `./` and a trailing `/`, so that paths compare as written in {@link SERIAL}. */
const normal = (path: string) => path.replace(/^\.\//, "").replace(/\/+$/, "");

/** Whether `path` (normalised) is `serial` or a folder holding it. */
const holds = (path: string, serial: string) =>
  path === serial || path === "" || path === "." || serial.startsWith(`${path}/`);

/**
 * The runs for the task's arguments (see the module header). `isPath` says whether an argument
 * names an existing file or folder.
 */
export function planRuns(args: readonly string[], isPath: (arg: string) => boolean): TestRun[] {
  const options: string[] = [], paths: string[] = [];
  for (const a of args) (!a.startsWith("-") && isPath(a) ? paths : options).push(a);
  const ignore = `--ignore=${SERIAL.join(",")}`;
  const isSerial = (path: string) => (SERIAL as readonly string[]).includes(normal(path));
  const others = paths.filter((p) => !isSerial(p));
  const first: TestRun = { parallel: true, args: [...PERMISSIONS, ignore, ...options, ...others] };
  if (paths.length === 0) {
    return [first, { parallel: false, args: [...PERMISSIONS, ...options, ...SERIAL] }];
  }
  const serial = SERIAL.filter((s) => paths.some((p) => holds(normal(p), s)));
  const runs: TestRun[] = [];
  if (others.length > 0) runs.push(first);
  if (serial.length > 0) {
    runs.push({ parallel: false, args: [...PERMISSIONS, ...options, ...serial] });
  }
  return runs;
}

function existing(path: string): boolean {
  try {
    Deno.statSync(path);
    return true;
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return false;
    throw err;
  }
}

async function run(test: TestRun): Promise<number> {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["test", ...(test.parallel ? ["--parallel"] : []), ...test.args],
    env: test.parallel ? { DENO_JOBS: "4" } : {},
    stdin: "null",
  }).spawn();
  // CI's timeout and a Ctrl-C stop the task: pass them on, so no test run outlives it.
  const signals = ["SIGINT", "SIGTERM"] as const;
  const forward = signals.map((signal) => {
    const handler = () => child.kill(signal);
    Deno.addSignalListener(signal, handler);
    return () => Deno.removeSignalListener(signal, handler);
  });
  try {
    return (await child.status).code;
  } finally {
    for (const remove of forward) remove();
  }
}

if (import.meta.main) {
  const runs = planRuns(Deno.args, existing);
  if (runs.length === 0) {
    printText("stderr", "test: no test file or folder among the arguments");
    Deno.exit(2);
  }
  for (const test of runs) {
    const code = await run(test);
    if (code !== 0) Deno.exit(code);
  }
}
