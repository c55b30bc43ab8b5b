/**
 * What `pmcollect --version` says: the program's version (the one place it is written down,
 * {@link VERSION}) and the commit it was built from.
 *
 * The commit comes from `PMCOLLECT_BUILD_COMMIT` when set; in a compiled binary from the
 * dist/build.json that scripts/stamp_build.ts wrote and `deno task compile` bundled; run from
 * a source checkout, from the checkout's `.git` (read as files: `deno task start` may not run
 * programs, and a dist/build.json left by an earlier compile would name an older commit).
 *
 * @example
 * ```ts
 * import { readBuildCommit, versionText } from "./build_info.ts";
 * versionText(readBuildCommit(Deno.env.toObject())); // "pmcollect 0.2.0 (3f2a9c1e0b7d, source)"
 * ```
 */

/** The program's version: the single source `--version`, help and export manifests read. */
export const VERSION = "0.2.0";

/** Where the commit was found: a compiled binary's stamp, or a source checkout's `.git`. */
export interface BuildCommit {
  readonly commit: string;
  readonly from: "env" | "stamp" | "source";
}

/**
 * `pmcollect 0.2.0 (abc123def456)` for a binary, `pmcollect 0.2.0 (abc123def456, source)` run
 * from a checkout, `pmcollect 0.2.0 (commit unknown)` when neither says.
 */
export function versionText(build: BuildCommit | string | undefined): string {
  const found = typeof build === "string" ? { commit: build, from: "env" as const } : build;
  if (found === undefined || found.commit === "") return `pmcollect ${VERSION} (commit unknown)`;
  return `pmcollect ${VERSION} (${found.commit}${found.from === "source" ? ", source" : ""})`;
}

/** Finds the build commit (see the module doc); never throws. */
export function readBuildCommit(
  env: Readonly<Record<string, string | undefined>>,
  options: { readonly standalone?: boolean; readonly root?: URL } = {},
): BuildCommit | undefined {
  const fromEnv = env.PMCOLLECT_BUILD_COMMIT;
  if (fromEnv !== undefined && fromEnv !== "") return { commit: fromEnv, from: "env" };
  const root = options.root ?? new URL("../", import.meta.url);
  if (options.standalone ?? Deno.build.standalone) {
    const commit = readStamp(root);
    return commit === undefined ? undefined : { commit, from: "stamp" };
  }
  const commit = readCheckoutCommit(root);
  return commit === undefined ? undefined : { commit, from: "source" };
}

function readStamp(root: URL): string | undefined {
  try {
    const text = Deno.readTextFileSync(new URL("dist/build.json", root));
    const commit = (JSON.parse(text) as { commit?: unknown }).commit;
    return typeof commit === "string" && commit !== "" ? commit : undefined;
  } catch {
    return undefined;
  }
}

/**
 * HEAD of the git checkout at `root`, 12 hex digits, read from `.git` without running git:
 * a detached HEAD, a loose ref or a packed one; `.git` may be a worktree's `gitdir:` file.
 */
export function readCheckoutCommit(root: URL): string | undefined {
  try {
    let gitDir = new URL(".git/", root);
    const stat = Deno.statSync(gitDir);
    if (stat.isFile) {
      const pointer = Deno.readTextFileSync(new URL(".git", root)).trim();
      const target = pointer.replace(/^gitdir:\s*/, "");
      gitDir = new URL(target.endsWith("/") ? target : `${target}/`, root);
    }
    const head = Deno.readTextFileSync(new URL("HEAD", gitDir)).trim();
    const ref = /^ref:\s*(\S+)$/.exec(head)?.[1];
    const sha = ref === undefined ? head : readRef(gitDir, ref);
    return sha !== undefined && /^[0-9a-f]{40,64}$/.test(sha) ? sha.slice(0, 12) : undefined;
  } catch {
    return undefined;
  }
}

/** A ref's commit: loose under the git dir (or its common dir), else in packed-refs. */
function readRef(gitDir: URL, ref: string): string | undefined {
  const dirs = [gitDir];
  try {
    const common = Deno.readTextFileSync(new URL("commondir", gitDir)).trim();
    dirs.push(new URL(common.endsWith("/") ? common : `${common}/`, gitDir));
  } catch {
    // not a worktree
  }
  for (const dir of dirs) {
    try {
      return Deno.readTextFileSync(new URL(ref, dir)).trim();
    } catch {
      // not loose here
    }
    try {
      const packed = Deno.readTextFileSync(new URL("packed-refs", dir));
      const line = packed.split("\n").find((l) => l.endsWith(` ${ref}`));
      if (line !== undefined) return line.split(" ")[0];
    } catch {
      // no packed-refs here
    }
  }
  return undefined;
}
