/**
 * deploy/grafana-dashboard.json stays in step with the code: every panel has a datasource and
 * targets, every `pmcollect_*` metric in a PromQL expression is one the code emits (found by
 * scanning the sources for the names passed to counter/gauge/observe), and every SQL query
 * reads only relations the migrations create, and runs on a freshly migrated schema.
 */
import assert from "node:assert/strict";
import { migrate } from "../db/migrate.ts";
import { silentLogger } from "../runtime/log.ts";
import { withDatabase } from "./_db.ts";

const ROOT = new URL("../", import.meta.url);
const SOURCE_DIRS = ["collectors", "runtime", "backfill", "cli", "scanner"];

interface Target {
  refId?: string;
  datasource?: { type?: string; uid?: string };
  expr?: string;
  rawSql?: string;
}

interface Panel {
  id: number;
  type: string;
  title: string;
  datasource?: { type?: string; uid?: string };
  targets?: Target[];
  panels?: Panel[];
}

interface Variable {
  name: string;
  type: string;
  datasource?: { type?: string; uid?: string };
  query?: string | { query?: string };
}

interface Dashboard {
  __inputs: { name: string; type: string; pluginId: string }[];
  schemaVersion: number;
  panels: Panel[];
  templating: { list: Variable[] };
}

const dashboard: Dashboard = JSON.parse(
  await Deno.readTextFile(new URL("deploy/grafana-dashboard.json", ROOT)),
);

/** Every panel, rows' nested panels included, without the rows themselves. */
function allPanels(panels: readonly Panel[]): Panel[] {
  return panels.flatMap((p) => p.type === "row" ? allPanels(p.panels ?? []) : [p]);
}

const PANELS = allPanels(dashboard.panels);
const INPUTS = new Map(dashboard.__inputs.map((i) => [`\${${i.name}}`, i.pluginId]));
const PROMETHEUS = "prometheus";
const POSTGRES = "grafana-postgresql-datasource";

async function sourceFiles(): Promise<URL[]> {
  const files: URL[] = [];
  const walk = async (dir: URL) => {
    for await (const entry of Deno.readDir(dir)) {
      if (entry.isDirectory) await walk(new URL(`${entry.name}/`, dir));
      else if (entry.name.endsWith(".ts") && !entry.name.endsWith("_test.ts")) {
        files.push(new URL(entry.name, dir));
      }
    }
  };
  for (const dir of SOURCE_DIRS) await walk(new URL(`${dir}/`, ROOT));
  return files;
}

/** Source text without comments (so a doc example does not count as an emitted metric). */
function withoutComments(text: string): string {
  return text.replace(/\/\*[\s\S]*?\*\//g, "").replace(/^\s*\/\/.*$/gm, "");
}

/**
 * The prefix TaskContext puts before a task's metric names, read from the supervisor so the
 * test follows the code: `counter: (name, d = 1) => metrics.counter(`pmcollect_${name}`, ...)`.
 */
async function taskContextPrefix(): Promise<string> {
  const text = await Deno.readTextFile(new URL("runtime/supervisor.ts", ROOT));
  const prefixes = new Set(
    [...text.matchAll(
      /(counter|gauge|observe): \([^)]*\) =>\s*metrics\.\1\(`([a-z_]*)\$\{name\}`/g,
    )]
      .map((m) => m[2]!),
  );
  assert.equal(prefixes.size, 1, `one TaskContext prefix, found ${[...prefixes]}`);
  return [...prefixes][0]!;
}

/**
 * Metric name → kind, for every string literal passed to counter/gauge/observe. Calls on a
 * TaskContext (`ctx`, `context`, `deps.context`) get the TaskContext prefix; calls on a
 * registry (`metrics`, `extra` in runtime/health.ts) already carry the full name.
 */
async function emittedMetrics(): Promise<Map<string, "counter" | "gauge" | "histogram">> {
  const prefix = await taskContextPrefix();
  const emitted = new Map<string, "counter" | "gauge" | "histogram">();
  const call =
    /([A-Za-z_$][\w$]*)\??\.(counter|gauge|observe)\(\s*(["'])([a-zA-Z_:][a-zA-Z0-9_:]*)\3/g;
  for (const file of await sourceFiles()) {
    const text = withoutComments(await Deno.readTextFile(file));
    for (const [, receiver, method, , name] of text.matchAll(call)) {
      const onContext = /^(ctx|context)$/i.test(receiver!);
      const full = onContext ? `${prefix}${name}` : name!;
      emitted.set(full, method === "observe" ? "histogram" : method as "counter" | "gauge");
    }
  }
  return emitted;
}

/** The series a Prometheus scrape shows for each metric (histograms add _bucket/_sum/_count). */
function seriesNames(emitted: Map<string, string>): Set<string> {
  const names = new Set<string>();
  for (const [name, kind] of emitted) {
    if (kind === "histogram") {
      for (const suffix of ["_bucket", "_sum", "_count"]) names.add(name + suffix);
    } else {
      names.add(name);
    }
  }
  return names;
}

function promExpressions(): { where: string; expr: string }[] {
  const out: { where: string; expr: string }[] = [];
  for (const panel of PANELS) {
    for (const t of panel.targets ?? []) {
      if (t.expr !== undefined) out.push({ where: `${panel.title}/${t.refId}`, expr: t.expr });
    }
  }
  for (const v of dashboard.templating.list) {
    if (v.datasource?.type !== PROMETHEUS) continue;
    const expr = typeof v.query === "string" ? v.query : v.query?.query;
    if (expr !== undefined) out.push({ where: `variable ${v.name}`, expr });
  }
  return out;
}

function sqlQueries(): { where: string; sql: string }[] {
  const out: { where: string; sql: string }[] = [];
  for (const panel of PANELS) {
    for (const t of panel.targets ?? []) {
      if (t.rawSql !== undefined) out.push({ where: `${panel.title}/${t.refId}`, sql: t.rawSql });
    }
  }
  for (const v of dashboard.templating.list) {
    if (v.datasource?.type !== POSTGRES) continue;
    const sql = typeof v.query === "string" ? v.query : v.query?.query;
    if (sql !== undefined) out.push({ where: `variable ${v.name}`, sql });
  }
  return out;
}

/** Tables and views (plain or continuous aggregates) the migrations create. */
async function migratedRelations(): Promise<Set<string>> {
  const relations = new Set<string>();
  for await (const entry of Deno.readDir(new URL("migrations/", ROOT))) {
    if (!entry.name.endsWith(".sql")) continue;
    const text = await Deno.readTextFile(new URL(`migrations/${entry.name}`, ROOT));
    for (const m of text.matchAll(/create\s+(?:table|(?:materialized\s+)?view)\s+(\w+)/gi)) {
      relations.add(m[1]!.toLowerCase());
    }
  }
  return relations;
}

Deno.test("the dashboard declares a Prometheus and a PostgreSQL datasource input", () => {
  assert.ok(dashboard.schemaVersion >= 36, `schemaVersion ${dashboard.schemaVersion}`);
  assert.deepEqual([...INPUTS.values()].sort(), [POSTGRES, PROMETHEUS]);
  for (const input of dashboard.__inputs) assert.equal(input.type, "datasource");
  const ids = PANELS.map((p) => p.id);
  assert.equal(new Set(ids).size, ids.length, "panel ids are unique");
});

Deno.test("every panel has a datasource from __inputs and targets on it", () => {
  assert.ok(PANELS.length >= 15, `${PANELS.length} panels`);
  for (const panel of PANELS) {
    const uid = panel.datasource?.uid ?? "";
    const plugin = INPUTS.get(uid);
    assert.ok(plugin !== undefined, `${panel.title}: datasource ${uid} is not an input`);
    assert.equal(panel.datasource?.type, plugin, panel.title);
    assert.ok((panel.targets ?? []).length > 0, `${panel.title}: no targets`);
    for (const t of panel.targets!) {
      assert.equal(t.datasource?.uid, uid, `${panel.title}/${t.refId}: datasource`);
      const query = plugin === PROMETHEUS ? t.expr : t.rawSql;
      assert.ok(query !== undefined && query.trim() !== "", `${panel.title}/${t.refId}: query`);
    }
  }
  for (const v of dashboard.templating.list) {
    if (v.type !== "query") continue;
    assert.ok(INPUTS.has(v.datasource?.uid ?? ""), `variable ${v.name}: datasource`);
  }
});

Deno.test("every pmcollect_* metric in a PromQL expression is emitted by the code", async () => {
  const emitted = await emittedMetrics();
  // Spot checks that the scan sees each kind of call site.
  for (
    const name of [
      "pmcollect_rows_written_total", // TaskContext in collectors/_cycle.ts
      "pmcollect_queue_depth", // TaskContext via ctx?. in collectors/trades.ts
      "pmcollect_task_restarts_total", // registry in runtime/supervisor.ts
      "pmcollect_healthy", // fixed names in runtime/health.ts
      "pmcollect_quality_rejects", // registry in backfill/quality_metrics.ts (multi-line call)
    ]
  ) assert.ok(emitted.has(name), `the scan finds ${name}`);
  assert.equal(emitted.get("pmcollect_cycle_duration_seconds"), "histogram");
  assert.ok(![...emitted.keys()].some((n) => n.startsWith("pmcollect_pmcollect_")));
  const series = seriesNames(emitted);
  const used = new Set<string>();
  for (const { where, expr } of promExpressions()) {
    for (const [name] of expr.matchAll(/\b(?:pmcollect|process)_[a-zA-Z0-9_:]*/g)) {
      used.add(name);
      assert.ok(series.has(name), `${where}: ${name} is not emitted by the code`);
    }
  }
  for (
    const name of [
      "pmcollect_healthy",
      "pmcollect_task_up",
      "pmcollect_task_restarts_total",
      "pmcollect_rows_written_total",
      "pmcollect_messages_total",
      "pmcollect_reconnects_total",
      "pmcollect_queue_depth",
      "pmcollect_spill_bytes",
      "pmcollect_cycle_duration_seconds_bucket",
      "process_resident_memory_bytes",
      "pmcollect_quality_price_coverage_percent",
      "pmcollect_quality_gaps_open",
      "pmcollect_quality_rejects",
    ]
  ) assert.ok(used.has(name), `the dashboard shows ${name}`);
});

Deno.test("every SQL query reads only relations the migrations create", async () => {
  const relations = await migratedRelations();
  for (const name of ["tokens", "collector_runs", "price_ohlc_1h", "trade_volume_1h"]) {
    assert.ok(relations.has(name), `migrations create ${name}`);
  }
  const queries = sqlQueries();
  assert.ok(queries.length >= 4, `${queries.length} SQL queries`);
  for (const { where, sql } of queries) {
    const read = [...sql.matchAll(/\b(?:from|join)\s+([a-z_][\w.]*)/gi)].map((m) => m[1]!);
    assert.ok(read.length > 0, `${where}: reads no relation`);
    for (const name of read) {
      assert.ok(relations.has(name.toLowerCase()), `${where}: ${name} is not a migrated relation`);
    }
  }
});

/** Grafana's macros and variables, expanded the way Grafana would (roughly) for a last-day range. */
function expand(sql: string): string {
  return sql
    .replace(/\$__timeFilter\((\w+)\)/g, "$1 BETWEEN now() - interval '1 day' AND now()")
    .replaceAll("$token", "tok-1");
}

Deno.test("every SQL query runs on a freshly migrated (plain) schema", () =>
  withDatabase("server", async (db) => {
    await migrate(db.sql, { log: silentLogger(), timescale: "off" });
    await db
      .sql`insert into tokens (token_id, market_id, outcome_index) values ('tok-1', 'm-1', 0)`;
    for (const { where, sql } of sqlQueries()) {
      const text = expand(sql);
      assert.doesNotMatch(text, /\$/, `${where}: unexpanded macro`);
      try {
        await db.sql.unsafe(text);
      } catch (err) {
        assert.fail(`${where}: ${err}\n${text}`);
      }
    }
  }));
