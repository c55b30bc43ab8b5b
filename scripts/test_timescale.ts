/**
 * `deno task test:timescale`: the database suite against a real TimescaleDB. Needs a Docker
 * engine (a workstation, a CI with Docker). Starts the pinned image of
 * deploy/docker-compose.yml with testcontainers, runs the suite with TEST_DATABASE_URL pointing
 * at it and TEST_EXPECT_TIMESCALE=1 (so server-backend migrations must come out in timescale
 * mode), streams its output, removes the container and exits with the test run's code.
 *
 * Exit codes: the `deno test` run's own (0 = the suite passed on TimescaleDB); 3 = NOT run,
 * no Docker engine; 4 = NOT run, the engine is there but the container did not come up as
 * expected. 3 and 4 are never a pass.
 *
 * @example
 * ```sh
 * deno task test:timescale                      # the whole database suite
 * deno task test:timescale --filter migrate     # extra arguments go to `deno test`
 * ```
 */
import postgres from "postgres";
// Test-only: imported by full specifier, not through deno.json, so that `deno task start` does
// not install it (see the README's dependency table).
// deno-lint-ignore no-import-prefix
import type { StartedTestContainer } from "npm:testcontainers@12.2.0";
import { printText } from "../runtime/log.ts";

/** Same tag as deploy/docker-compose.yml (tests/test_timescale_script_test.ts checks it). */
export const TIMESCALE_IMAGE = "timescale/timescaledb:2.28.3-pg17";

/** The suite: every file here uses the server database (and in-process PGlite) only. */
export const DATABASE_SUITE = [
  "tests/migrate_test.ts",
  "tests/db_queries_test.ts",
  "tests/db_prices_copy_test.ts",
  "backfill/quality_metrics_test.ts",
  "cli/status_command_test.ts",
  "tests/grafana_dashboard_test.ts",
  "tests/scanner_episodes_test.ts",
  "tests/migrate_storage_v2_test.ts",
  "tests/book_hash_test.ts",
  "tests/stream_recorder_test.ts",
  "tests/migrate_book_event_pairs_test.ts",
  "tests/stream_cli_test.ts",
  "tests/stream_export_test.ts",
  "tests/db_pool_renewal_test.ts",
  "tests/retention_test.ts",
  "tests/rollup_test.ts",
  "tests/stream_pack_test.ts",
  "tests/stream_pack_timescale_test.ts",
  "tests/aggregate_compression_timescale_test.ts",
  "tests/bench_server_jobs_test.ts",
  "tests/trade_hours_test.ts",
] as const;

export const EXIT_NO_DOCKER = 3;
export const EXIT_CONTAINER_FAILED = 4;

const READY_LOG = /database system is ready to accept connections/;
const DOCKER_INFO_TIMEOUT_MS = 20_000;
const STARTUP_TIMEOUT_MS = 180_000;
const ROOT = new URL("../", import.meta.url);

const print = (line: string) => printText("stdout", line);
const printErr = (line: string) => printText("stderr", line);

/**
 * `null` when a Docker engine answers, else why not (one line). Asks `docker version` for the
 * server's version rather than `docker info`: both fail without an engine, but older CLIs
 * (20.10) print `docker info`'s reason on stdout among the client details, or a template error
 * with --format.
 */
export async function dockerEngineProblem(): Promise<string | null> {
  let output: Deno.CommandOutput;
  try {
    output = await new Deno.Command("docker", {
      args: ["version", "--format", "{{.Server.Version}}"],
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
      signal: AbortSignal.timeout(DOCKER_INFO_TIMEOUT_MS),
    }).output();
  } catch (err) {
    if (!(err instanceof Deno.errors.NotFound)) {
      return `docker version failed: ${err instanceof Error ? err.message : String(err)}`;
    }
    // No docker CLI: let testcontainers look for an engine its own way (DOCKER_HOST,
    // ~/.testcontainers.properties, the default socket).
    try {
      const { getContainerRuntimeClient } = await import(
        // deno-lint-ignore no-import-prefix
        "npm:testcontainers@12.2.0"
      );
      await getContainerRuntimeClient();
      return null;
    } catch (e) {
      return `no docker CLI, and testcontainers found no container runtime: ${
        e instanceof Error ? e.message : String(e)
      }`;
    }
  }
  if (output.success) return null;
  const text = new TextDecoder().decode(output.stderr).trim() ||
    new TextDecoder().decode(output.stdout).trim() || `exit code ${output.code}`;
  return `docker version failed: ${text.split("\n").filter((l) => l.trim() !== "").join(" ")}`;
}

/** Starts the pinned TimescaleDB; returns the container and a URL for TEST_DATABASE_URL. */
async function startTimescale(): Promise<{ container: StartedTestContainer; url: string }> {
  const { GenericContainer, Wait } = await import(
    // deno-lint-ignore no-import-prefix
    "npm:testcontainers@12.2.0"
  );
  const password = crypto.randomUUID().replaceAll("-", "");
  const container = await new GenericContainer(TIMESCALE_IMAGE)
    .withEnvironment({
      POSTGRES_PASSWORD: password,
      POSTGRES_DB: "test",
      NO_TS_TUNE: "true",
      TIMESCALEDB_TELEMETRY: "off",
    })
    // As deploy/docker-compose.yml, plus durability off: this database is thrown away.
    .withCommand([
      "postgres",
      "-c",
      "shared_preload_libraries=timescaledb",
      "-c",
      "timescaledb.telemetry_level=off",
      "-c",
      "max_locks_per_transaction=256",
      "-c",
      "fsync=off",
      "-c",
      "synchronous_commit=off",
      "-c",
      "full_page_writes=off",
    ])
    .withExposedPorts(5432)
    // The entrypoint's initdb server says it once, the real server the second time.
    .withWaitStrategy(Wait.forLogMessage(READY_LOG, 2))
    .withStartupTimeout(STARTUP_TIMEOUT_MS)
    .start();
  const url = `postgres://postgres:${password}@${container.getHost()}:${
    container.getMappedPort(5432)
  }/test`;
  return { container, url };
}

/** The TimescaleDB version in the pinned tag ("2.28.3"). */
export function imageVersion(image: string = TIMESCALE_IMAGE): string {
  const match = /:(\d+\.\d+\.\d+)-pg\d+$/.exec(image);
  if (match === null) throw new Error(`cannot read a TimescaleDB version from ${image}`);
  return match[1]!;
}

/**
 * Connects (retrying briefly: the port can lag the log line) and checks that the server
 * preloads TimescaleDB at the pinned version; returns that version.
 */
async function checkTimescale(url: string): Promise<string> {
  let row: Record<string, unknown> | undefined;
  for (let attempt = 1; row === undefined; attempt++) {
    const sql = postgres(url, { max: 1, onnotice: () => {}, connect_timeout: 5 });
    try {
      [row] = await sql`
        select current_setting('shared_preload_libraries') as preload,
               (select default_version from pg_available_extensions
                where name = 'timescaledb') as version`;
    } catch (err) {
      if (attempt >= 30) throw err;
      await new Promise((resolve) => setTimeout(resolve, 1_000));
    } finally {
      await sql.end({ timeout: 1 });
    }
  }
  if (!String(row.preload).includes("timescaledb")) {
    throw new Error(`timescaledb is not preloaded (shared_preload_libraries=${row.preload})`);
  }
  if (row.version !== imageVersion()) {
    throw new Error(`timescaledb ${row.version ?? "is not available"}, expected ${imageVersion()}`);
  }
  return String(row.version);
}

async function runSuite(url: string, extraArgs: readonly string[]): Promise<number> {
  const child = new Deno.Command(Deno.execPath(), {
    // The test lockfile: deno.lock holds only what `deno task start` runs.
    args: ["test", "-A", "--lock=deno.test.lock", ...extraArgs, ...DATABASE_SUITE],
    cwd: ROOT,
    env: { TEST_DATABASE_URL: url, TEST_EXPECT_TIMESCALE: "1" },
    stdin: "null",
    stdout: "inherit",
    stderr: "inherit",
  }).spawn();
  return (await child.status).code;
}

async function main(): Promise<number> {
  const problem = await dockerEngineProblem();
  if (problem !== null) {
    printErr(`TimescaleDB suite NOT run: no Docker engine (${problem})`);
    printErr(`This is not a pass. Run it where Docker works (exit ${EXIT_NO_DOCKER}).`);
    return EXIT_NO_DOCKER;
  }

  print(`test:timescale: starting ${TIMESCALE_IMAGE} (testcontainers)`);
  let started: Awaited<ReturnType<typeof startTimescale>>;
  try {
    started = await startTimescale();
  } catch (err) {
    printErr(`TimescaleDB suite NOT run: ${TIMESCALE_IMAGE} did not start: ${err}`);
    return EXIT_CONTAINER_FAILED;
  }
  const { container, url } = started;
  let stopping: Promise<unknown> | undefined;
  const stop = () => (stopping ??= container.stop({ timeout: 10_000 }).catch((err) => {
    printErr(`test:timescale: could not remove container ${container.getId()}: ${err}`);
  }));
  const onSignal = () => {
    printErr("test:timescale: interrupted, removing the container");
    stop().finally(() => Deno.exit(130));
  };
  Deno.addSignalListener("SIGINT", onSignal);
  try {
    let version: string;
    try {
      version = await checkTimescale(url);
    } catch (err) {
      printErr(`TimescaleDB suite NOT run: the container is not a usable TimescaleDB: ${err}`);
      return EXIT_CONTAINER_FAILED;
    }
    print(
      `test:timescale: TimescaleDB ${version} on ${container.getHost()}:` +
        `${container.getMappedPort(5432)}; running ${DATABASE_SUITE.join(" ")}`,
    );
    const extraArgs = Deno.args[0] === "--" ? Deno.args.slice(1) : Deno.args;
    const code = await runSuite(url, extraArgs);
    print(`test:timescale: deno test exited ${code} against ${TIMESCALE_IMAGE}`);
    return code;
  } finally {
    Deno.removeSignalListener("SIGINT", onSignal);
    await stop();
  }
}

if (import.meta.main) Deno.exit(await main());
