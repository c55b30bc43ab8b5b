/**
 * The V8 flags the program really runs with: those of the `start` task in deno.json (the
 * compile tasks bake the same into the binary). Benchmarks and the soak start the daemon with
 * them so that what they measure is what users run.
 */

const config = JSON.parse(await Deno.readTextFile(new URL("../deno.json", import.meta.url)));

/** E.g. `["--v8-flags=--max-semi-space-size=8,--heap-growing-percent=50"]`. */
export const RUNTIME_V8_FLAGS: readonly string[] =
  String(config.tasks?.start ?? "").match(/--v8-flags=\S+/g) ?? [];
