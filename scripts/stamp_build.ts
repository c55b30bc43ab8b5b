/**
 * Writes dist/build.json (commit and build time) before `deno compile`, which bundles it so
 * that `pmcollect --version` names the commit it was built from. Run by the compile tasks.
 * Without git (a container build without .git) the commit is PMCOLLECT_BUILD_COMMIT or "unknown".
 */
async function git(args: string[]): Promise<string | null> {
  try {
    const out = await new Deno.Command("git", { args, stderr: "null" }).output();
    return out.success ? new TextDecoder().decode(out.stdout).trim() : null;
  } catch {
    return null; // git is not installed
  }
}

const head = await git(["rev-parse", "--short=12", "HEAD"]);
const dirty = head !== null && (await git(["status", "--porcelain"])) !== "";
const commit = head === null
  ? (Deno.env.get("PMCOLLECT_BUILD_COMMIT") ?? "unknown")
  : `${head}${dirty ? "-dirty" : ""}`;
await Deno.mkdir(new URL("../dist/", import.meta.url), { recursive: true });
await Deno.writeTextFile(
  new URL("../dist/build.json", import.meta.url),
  JSON.stringify({ commit, builtAt: new Date().toISOString() }) + "\n",
);
