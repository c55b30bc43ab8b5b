/**
 * What the running collector says about itself, for `status`: its `/healthz` on
 * 127.0.0.1:PMCOLLECT_HEALTH_PORT (each task's state and the fields it reports: the disk
 * guard's measured growth, the scanner's relations and open episodes, the relation refresh
 * task's last refresh). A one-shot command has no history of its own, so these figures come
 * from the process that measured them, or are said to be unknown.
 *
 * The answer counts only when that collector writes to the same database as this command: the
 * disk guard reports the database's identity (`databaseIdentity`), and another one (a second
 * collector on another database, an old port) is reported as such rather than believed.
 *
 * @example
 * ```ts ignore
 * import { readCollectorHealth } from "./_collector_health.ts";
 * const health = await readCollectorHealth(config.health.port, { signal, database: id });
 * if (health.kind === "running") health.tasks.get("scanner")?.relations;
 * ```
 */
import { z } from "zod";
import type { Queryable } from "../db/client.ts";

const HealthzSchema = z.object({
  status: z.string(),
  tasks: z.array(z.object({
    name: z.string(),
    state: z.string(),
    report: z.record(z.string(), z.unknown()),
  })),
});

/** What `status` learned from the collector's /healthz. */
export type CollectorHealth =
  | {
    readonly kind: "running";
    readonly port: number;
    /** Each task's report, with its state as `state`. */
    readonly tasks: ReadonlyMap<string, Readonly<Record<string, unknown>>>;
  }
  | {
    readonly kind: "absent" | "other_database" | "off";
    readonly port: number;
  };

/**
 * Reads `/healthz` (2 s bound). Absent when nothing answers (or not a pmcollect), `off` when
 * the port setting is 0, `other_database` when its disk guard names another database.
 */
export async function readCollectorHealth(
  port: number,
  options: { readonly signal: AbortSignal; readonly database: string | null },
): Promise<CollectorHealth> {
  if (port === 0) return { kind: "off", port };
  let body: unknown;
  try {
    const response = await fetch(`http://127.0.0.1:${port}/healthz`, {
      signal: AbortSignal.any([options.signal, AbortSignal.timeout(2000)]),
    });
    body = await response.json();
  } catch {
    if (options.signal.aborted) throw options.signal.reason;
    return { kind: "absent", port };
  }
  const parsed = HealthzSchema.safeParse(body);
  if (!parsed.success) return { kind: "absent", port };
  const tasks = new Map<string, Readonly<Record<string, unknown>>>(
    parsed.data.tasks.map((t) => [t.name, { ...t.report, state: t.state }]),
  );
  const theirs = tasks.get("disk")?.databaseIdentity;
  if (typeof theirs === "string" && options.database !== null && theirs !== options.database) {
    return { kind: "other_database", port };
  }
  return { kind: "running", port, tasks };
}

/**
 * The database as both processes see it: name, schema and the server's start time, equal for
 * every connection to one server (through any address) and different for another server.
 */
export async function databaseIdentity(sql: Queryable): Promise<string | null> {
  try {
    const [row] = await sql<{ id: string }[]>`
      select concat_ws('/', current_database(), current_schema(),
        extract(epoch from pg_postmaster_start_time())::bigint) as id`;
    return row?.id ?? null;
  } catch {
    return null; // a server without pg_postmaster_start_time: no check
  }
}

/** "the collector on 127.0.0.1:9464" or why there is none, for status lines. */
export function describeCollector(health: CollectorHealth): string {
  switch (health.kind) {
    case "running":
      return `the running collector (127.0.0.1:${health.port})`;
    case "off":
      return "no collector's /healthz (PMCOLLECT_HEALTH_PORT is 0)";
    case "other_database":
      return `no collector on this database (the one on 127.0.0.1:${health.port} writes elsewhere)`;
    case "absent":
      return `no running collector answered on 127.0.0.1:${health.port}`;
  }
}

/** A number the task reported, or null. */
export function reportedNumber(
  health: CollectorHealth,
  task: string,
  field: string,
): number | null {
  if (health.kind !== "running") return null;
  const value = health.tasks.get(task)?.[field];
  return typeof value === "number" && Number.isFinite(value) ? value : null;
}
