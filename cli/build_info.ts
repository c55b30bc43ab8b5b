/**
 * The commit a binary was built from: `PMCOLLECT_BUILD_COMMIT` when set, else dist/build.json
 * (written by scripts/stamp_build.ts and bundled by `deno task compile`), else undefined ("dev").
 */

/** Reads the build commit; never throws. */
export function readBuildCommit(
  env: Readonly<Record<string, string | undefined>>,
): string | undefined {
  const fromEnv = env.PMCOLLECT_BUILD_COMMIT;
  if (fromEnv !== undefined && fromEnv !== "") return fromEnv;
  try {
    const text = Deno.readTextFileSync(new URL("../dist/build.json", import.meta.url));
    const commit = (JSON.parse(text) as { commit?: unknown }).commit;
    return typeof commit === "string" && commit !== "" ? commit : undefined;
  } catch {
    return undefined;
  }
}
