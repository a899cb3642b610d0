#!/usr/bin/env bash
# Rebuilds the issue 6 quality corpus from test/quality/corpus.json: for each project, the pinned
# commit of its repository is extracted into $FICUS_CORPUS/<name> (default /work/corpus), the files
# listed in removeFromInput (the spec itself, Postman collections, a second server the spec does not
# document) are deleted, and the reference spec is written to $FICUS_CORPUS/<name>/REFERENCE.yaml
# (JSON is YAML, so a JSON spec is copied as is). A reference with `union` files (one published document per API version) is the union of
# its path and those, built by dist/test/quality/union-specs.js (npm run build first). Nothing here
# is committed: the corpus lives outside the repository.
#
# The repositories come from git mirrors, one bare git directory per repository under
# $FICUS_MIRRORS (default /work/.mirror) as <owner>+<name>/repo (or <owner>+<name>/repo/.git).
# On this project's machines those mirrors are made by the search tool's `fetch github:<owner>/<name>`;
# elsewhere `git clone --mirror https://github.com/<owner>/<name> <owner>+<name>/repo` gives the same.
#
# Usage: test/quality/fetch-corpus.sh [name...]     (no names: every project)
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
manifest="$here/corpus.json"
corpus="${FICUS_CORPUS:-/work/corpus}"
mirrors="${FICUS_MIRRORS:-/work/.mirror}"

# One "|"-separated line per project (not tabs: read would merge empty fields): name repo commit refRepo refCommit refPath extract remove union
# (extract, remove and union are comma-separated lists).
lines="$(node -e '
  const m = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
  const want = process.argv.slice(2);
  const unknown = want.filter((n) => !m.projects.some((p) => p.name === n));
  if (unknown.length) { console.error(`fetch-corpus: not in the manifest: ${unknown.join(", ")}`); process.exit(2); }
  for (const p of m.projects) {
    if (want.length && !want.includes(p.name)) continue;
    console.log([p.name, p.repo, p.commit, p.reference.repo, p.reference.commit, p.reference.path,
      (p.extract ?? []).join(","), (p.removeFromInput ?? []).join(","), (p.reference.union ?? []).join(",")].join("|"));
  }' "$manifest" "$@")"

gitdir_of() { # owner/name -> bare git dir, or nothing
  local base="$mirrors/${1/\//+}/repo"
  if [ -d "$base/.git" ]; then echo "$base/.git"; elif [ -d "$base" ]; then echo "$base"; fi
}

union_cli="$here/../../dist/test/quality/union-specs.js"
status=0
while IFS='|' read -r name repo commit ref_repo ref_commit ref_path extract remove union; do
  src="$(gitdir_of "$repo")"
  ref="$(gitdir_of "$ref_repo")"
  missing=""
  [ -n "$src" ] || missing="github:$repo"
  [ -n "$ref" ] || [ "$ref_repo" = "$repo" ] || missing="${missing:+$missing }github:$ref_repo"
  if [ -n "$missing" ]; then
    echo "$name: absent: no mirror under $mirrors; fetch $missing (the search tool's fetch), then run this again"
    status=1
    continue
  fi
  if ! git --git-dir="$src" cat-file -e "$commit^{commit}" 2>/dev/null; then
    echo "$name: the mirror of $repo has no commit $commit (HEAD is $(git --git-dir="$src" rev-parse HEAD)); fetch it again or update the manifest"
    status=1
    continue
  fi
  [ -n "$ref" ] || ref="$src"
  if ! git --git-dir="$ref" cat-file -e "$ref_commit^{commit}" 2>/dev/null; then
    echo "$name: the mirror of $ref_repo has no commit $ref_commit; fetch it again or update the manifest"
    status=1
    continue
  fi
  if [ -n "$union" ] && [ ! -f "$union_cli" ]; then
    echo "$name: its reference is a union of specs, built by $union_cli: npm run build first"
    status=1
    continue
  fi
  dest="$corpus/$name"
  rm -rf "${dest:?}"
  mkdir -p "$dest"
  IFS=',' read -r -a paths <<<"$extract"
  git --git-dir="$src" archive "$commit" -- "${paths[@]}" | tar -x -C "$dest"
  IFS=',' read -r -a drop <<<"$remove"
  for p in "${drop[@]}"; do
    [ -n "$p" ] && rm -rf "${dest:?}/$p"
  done
  if [ -z "$union" ]; then
    git --git-dir="$ref" show "$ref_commit:$ref_path" >"$dest/REFERENCE.yaml"
  else
    parts="$(mktemp -d)"
    IFS=',' read -r -a more <<<"$union"
    specs=()
    for p in "$ref_path" "${more[@]}"; do
      f="$parts/${#specs[@]}-$(basename "$p")"
      git --git-dir="$ref" show "$ref_commit:$p" >"$f"
      specs+=("$f")
    done
    node "$union_cli" --out "$dest/REFERENCE.yaml" "${specs[@]}"
    rm -rf "${parts:?}"
    ref_path="$ref_path + ${union//,/ + }"
  fi
  # run.ts checks this stamp against the manifest, to flag a corpus extracted from another commit.
  echo "$repo@$commit" >"$dest/.ficus-corpus"
  echo "$name: $repo@${commit:0:12} -> $dest (reference $ref_repo@${ref_commit:0:12}:$ref_path)"
done <<<"$lines"
exit $status
