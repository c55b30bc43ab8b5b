/**
 * The help page of `model` (see `_command_docs.ts` for the shape).
 *
 * @example
 * ```ts
 * import { MODEL_DOCS } from "./_command_docs_model.ts";
 * MODEL_DOCS.model.options.html.value; // "FILE"
 * ```
 */
import type { CommandDoc } from "./_command_docs.ts";

/** model. */
export const MODEL_DOCS = {
  model: {
    summary: "fit, store and evaluate calibrated probability models of resolved markets",
    usage: [
      "model fit [--since ISO] [--until ISO] [--horizons LIST] [--method M]",
      "model eval [--model-version N] [--since ISO] [--until ISO] [--html FILE]",
    ],
    about:
      "fit builds the point-in-time dataset of markets resolved in the window, evaluates the " +
      "method walk-forward by resolution time (per horizon, domain, price and liquidity bucket, " +
      "the near-certain tail apart, Brier against the market with an event-resampled 95% " +
      "interval), fits it on every row and stores it as a new version with its window, " +
      "features, parameters, metrics and a hash. eval scores a stored version on markets " +
      "resolved after its training window, or prints its walk-forward evaluation when there " +
      "are none yet; --html also writes reliability diagrams, Brier by segment and the " +
      "improvement intervals (docs/models.md).",
    options: {
      since: {
        value: "ISO",
        text: "markets resolved at or after this instant",
        default: "fit: the first; eval: the end of the training window",
      },
      until: { value: "ISO", text: "markets resolved before this instant", default: "now" },
      horizons: {
        value: "LIST",
        text: "fit: comma-separated horizons (whole m, h or d)",
        default: "1h,24h,7d",
      },
      method: {
        value: "M",
        text:
          "fit: market, isotonic, platt, beta, features, or auto (beta or isotonic per cell, chosen by cross-validation on the cell's training rows)",
        default: "auto",
      },
      "model-version": {
        value: "N",
        text: "eval: the stored version to evaluate",
        default: "the newest",
      },
      html: { value: "FILE", text: "eval: also write the plots as one HTML page" },
    },
    examples: [
      "pmcollect model fit --since 2026-01-01 --horizons 24h,7d",
      "pmcollect model eval --html eval.html",
    ],
    exits: "0 done, 1 nothing to fit or no stored model, 2 bad usage",
    database: true,
  },
} satisfies Record<string, CommandDoc>;
