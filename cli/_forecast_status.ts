/**
 * The `forecasts:` line of `pmcollect status` (issue 28): live skill so far from the
 * `forecasts` table (`liveSkill`: scored YES rows, mean Brier of the forecasts against the
 * market's on the same rows, rows still waiting for their market to resolve), and when the
 * running collector's forecasts task last wrote a pass (or that it is off).
 *
 * @example
 * ```ts
 * import { formatForecastStatus } from "./_forecast_status.ts";
 * formatForecastStatus(
 *   { scored: 120, unscored: 4000, brier: 0.151, marketBrier: 0.155 },
 *   { kind: "absent", port: 9464 },
 * );
 * // "forecasts: 120 scored, Brier 0.1510 vs market 0.1550 (better); 4000 rows awaiting
 * //  resolution; task: no running collector (…)"
 * ```
 */
import type { LiveSkill } from "../models/forecast_store.ts";
import { type CollectorHealth, describeCollector } from "./_collector_health.ts";

export function formatForecastStatus(skill: LiveSkill, health: CollectorHealth): string {
  const scores = skill.scored === 0
    ? "none scored yet"
    : `${skill.scored} scored, Brier ${skill.brier.toFixed(4)} vs market ${
      skill.marketBrier.toFixed(4)
    } (${
      skill.brier < skill.marketBrier
        ? "better"
        : skill.brier > skill.marketBrier
        ? "worse"
        : "equal"
    })`;
  let task: string;
  if (health.kind !== "running") task = describeCollector(health);
  else {
    const report = health.tasks.get("forecasts");
    task = report === undefined
      ? "off in the running collector (PMCOLLECT_FORECAST_S=0)"
      : typeof report.at === "string"
      ? `last pass at ${report.at} (${report.markets ?? "?"} markets, model ${
        report.modelVersion ?? "none: baseline"
      })`
      : "no pass yet";
  }
  return `forecasts: ${scores}; ${skill.unscored} rows awaiting resolution; task: ${task}`;
}
