#!/usr/bin/env bash
# fuzz.sh runs every fuzz target of the module for a while each, then keeps
# in the package's testdata/fuzz/<Name>/ the new inputs the fuzzer found
# that cover code the target's corpus (its f.Add seeds and testdata) did not:
# the corpus grows only by inputs that add coverage, at most -k per target
# and run. A failing input is written by go test itself to
# testdata/fuzz/<Name>/; it fails `go test ./...` until the bug is fixed, and
# stays as its regression test.
#
#   scripts/fuzz.sh [-t 5m] [-p workers] [-k 8] [-o summary.md] [regexp]
#
#   -t  time per target (go test -fuzztime), default 5m
#   -p  fuzzing workers per target (go test -parallel), default GOMAXPROCS
#   -k  most inputs kept per target and run, default 8
#   -o  also write the summary table (Markdown) to this file
#   regexp  run only the targets whose "package/Name" matches (grep -E)
#
# Every target runs as
#   go test -run '^$' -fuzz '^Name$' -fuzztime T ./pkg
# and the inputs it found are read from go's fuzz cache,
# $(go env GOCACHE)/fuzz/<import path>/<Name>/ (this run's and the earlier
# runs' that are not in testdata yet). Each is run alone through a
# coverage-built test binary, smallest first, and kept only when it covers
# a block of the package that the corpus and the inputs kept before it do
# not. ("new interesting" in the summary is the fuzzer's own count for the
# run: inputs that reached new edges anywhere, the standard library
# included.)
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="/usr/local/go/bin:$PATH"

fuzztime=5m
workers=""
keep=8
out=""
while getopts "t:p:k:o:h" opt; do
  case $opt in
    t) fuzztime=$OPTARG ;;
    p) workers=$OPTARG ;;
    k) keep=$OPTARG ;;
    o) out=$OPTARG ;;
    *) sed -n '2,20p' "$0"; exit 2 ;;
  esac
done
shift $((OPTIND - 1))
filter=${1:-.}

root=$(pwd)
cache=$(go env GOCACHE)/fuzz
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# Every "func FuzzX(f *testing.F)" of the module's test files, as dir<TAB>name.
targets=$(grep -rEo --include='*_test.go' '^func Fuzz[A-Za-z0-9_]+\(f \*testing\.F\)' . |
  sed -E 's#^\./(.*)/[^/]+:func (Fuzz[A-Za-z0-9_]+).*#\1\t\2#; s#^\./[^/]+:func (Fuzz[A-Za-z0-9_]+).*#.\t\1#' |
  sort -u)
[ -n "$targets" ] || { echo "no fuzz targets" >&2; exit 1; }

# covered prints the blocks a cover profile counts as run, one per line.
covered() { awk 'NR > 1 && $NF > 0 { print $1 }' "$1" | sort -u; }

declare -A bins=()
nbins=0
rows=()
crashes=0
total=$(printf '%s\n' "$targets" | tr '\t' / | grep -cE "$filter" || true)
n=0
while IFS=$'\t' read -r dir name; do
  printf '%s/%s\n' "$dir" "$name" | grep -qE "$filter" || continue
  n=$((n + 1))
  pkg=$(go list "./$dir")
  tcache="$cache/$pkg/$name"
  mkdir -p "$tcache"
  echo "== [$n/$total] $pkg $name ($fuzztime)"
  log="$work/$name.log"
  args=(-run '^$' -fuzz "^$name\$" -fuzztime "$fuzztime")
  [ -n "$workers" ] && args+=(-parallel "$workers")
  start=$(date +%s)
  status=ok
  if ! go test "${args[@]}" "./$dir" > "$log" 2>&1; then
    status=crash
    crashes=$((crashes + 1))
  fi
  elapsed=$(( $(date +%s) - start ))
  last=$(grep -E '^fuzz: elapsed:' "$log" | tail -1 || true)
  execs=$(sed -nE 's/.*execs: ([0-9]+).*/\1/p' <<< "$last")
  found=$(sed -nE 's/.*new interesting: ([0-9]+).*/\1/p' <<< "$last")
  crashfile=""
  if [ $status = crash ]; then
    crashfile=$(sed -nE 's#.*Failing input written to (testdata/fuzz/[^ ]+).*#\1#p' "$log" | tail -1)
    grep -vE '^fuzz: elapsed:' "$log" | tail -25
  fi

  # Keep the new inputs that add coverage.
  ls "$tcache" > "$work/new"
  kept=0
  if [ -s "$work/new" ]; then
    bin=${bins[$dir]:-}
    if [ -z "$bin" ]; then
      nbins=$((nbins + 1))
      bin="$work/bin-$nbins.test"
      go test -c -cover -o "$bin" "./$dir" > /dev/null
      bins[$dir]=$bin
    fi
    corpus="$root/$dir/testdata/fuzz/$name"
    mkdir -p "$corpus"
    if (cd "$root/$dir" && "$bin" -test.run "^$name\$" -test.coverprofile "$work/base.out" > /dev/null 2>&1); then
      covered "$work/base.out" > "$work/union"
      # smallest first: of two inputs reaching the same code, the smaller is kept
      while read -r f; do
        [ "$kept" -lt "$keep" ] || break
        [ -e "$corpus/$f" ] && continue
        cp "$tcache/$f" "$corpus/$f"
        if (cd "$root/$dir" && "$bin" -test.run "^$name\$/^$f\$" -test.coverprofile "$work/one.out" > /dev/null 2>&1) &&
          covered "$work/one.out" | comm -23 - "$work/union" | grep -q .; then
          covered "$work/one.out" | sort -u -m - "$work/union" > "$work/union2"
          mv "$work/union2" "$work/union"
          kept=$((kept + 1))
        else
          rm "$corpus/$f"
        fi
      done < <(cd "$tcache" && ls -S -r $(cat "$work/new"))
    else
      echo "   (the corpus of $name fails as it is; no inputs kept)"
    fi
    rmdir "$corpus" 2> /dev/null || true
  fi
  echo "   $status: ${execs:-?} execs in ${elapsed}s, ${found:-0} new interesting, $kept kept${crashfile:+, failing input $dir/$crashfile}"
  crashcell=0
  [ -z "$crashfile" ] || crashcell="1: \`$dir/$crashfile\`"
  [ $status = ok ] || [ -n "$crashfile" ] || crashcell="failed (see the log above)"
  rows+=("| \`$pkg\` | $name | ${elapsed}s | ${execs:-?} | ${found:-0} | $kept | $crashcell |")
done <<< "$targets"

{
  echo "| package | target | time ($fuzztime asked) | execs | new interesting | kept | crashes |"
  echo "|---|---|---|---:|---:|---:|---|"
  printf '%s\n' "${rows[@]}"
} > "$work/summary.md"
echo
cat "$work/summary.md"
[ -z "$out" ] || cp "$work/summary.md" "$out"
[ "$crashes" -eq 0 ]
