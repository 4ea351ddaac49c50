#!/usr/bin/env bash
# Mutation check of the numerical tolerances (run by hand; about 2 min per mutant after a first build).
#
# Each mutant is a bug a reviewer would call a bug; the suite must FAIL on every one. The script
# copies the committed tree (git archive HEAD) into a scratch folder, applies one mutant at a time,
# builds, runs the tests named beside the mutant, and reports "caught" (tests failed) or "MISSED"
# (tests passed: the tolerance is too loose). Exit status 0 when every mutant is caught, 1 otherwise,
# 2 when a mutant no longer applies (the source it edits changed: update its pattern here).
#
# Usage: bash scripts/mutation-check.sh [mutant ...]   (default: all)
# Mutants:
#   adamw-no-decay      decoupled weight decay applied with decay 0     -> KerasTrainingTests (opt_adamw)
#   adam-textbook-eps   epsilon added to sqrt(v-hat) (bias-corrected) instead of Keras' sqrt(v)
#                                                                        -> KerasTrainingTests (opt_adam...)
#   elu-exp-minus-1     elu computed as exp(x) - 1 instead of expm1(x)  -> ActivationTests
#   tanh-via-exp        tanh computed as 1 - 2/(exp(2x) + 1)            -> ActivationTests
set -uo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
work="$(mktemp -d "${TMPDIR:-/tmp}/nnkit-mutants-XXXXXX")"
trap 'rm -rf "$work"' EXIT
git -C "$root" archive HEAD | tar -x -C "$work"
# Reuse the main checkout's package cache so the copy needs no network.
[[ -d "$root/.build/checkouts" ]] && mkdir -p "$work/.build" && cp -r "$root/.build/checkouts" "$root/.build/repositories" "$work/.build/" 2>/dev/null

# mutant name -> "file|python-literal old|python-literal new|test filter"
declare -A M=(
  [adamw-no-decay]='Sources/Runtime/Optimizer.swift|WeightDecayKernel(w: wp, out: op, decay: wd, learningRate: lr)|WeightDecayKernel(w: wp, out: op, decay: 0, learningRate: lr)|KerasTrainingTests'
  [adam-textbook-eps]='Sources/Runtime/Optimizers.swift|alpha: alpha, epsilon: epsilon)|alpha: alpha, epsilon: epsilon * (1 - beta2Power).squareRoot())|KerasTrainingTests'
  [elu-exp-minus-1]='Sources/Runtime/Activations.swift|x > 0 ? x : a * T.expm1(x)|x > 0 ? x : a * (T.exp(x) - 1)|ActivationTests'
  [tanh-via-exp]='Sources/Runtime/Activations.swift|{ x in T.tanh(x) }|{ x in 1 - 2 / (T.exp(2 * x) + 1) }|ActivationTests'
)
names=("$@"); [[ ${#names[@]} -eq 0 ]] && names=(adamw-no-decay adam-textbook-eps elu-exp-minus-1 tanh-via-exp)
status=0
for n in "${names[@]}"; do
  spec="${M[$n]:-}"
  [[ -z "$spec" ]] && { echo "mutation-check: unknown mutant $n" >&2; exit 2; }
  IFS='|' read -r file old new filter <<<"$spec"
  cp "$work/$file" "$work/$file.orig"
  if ! OLD="$old" NEW="$new" python3 - "$work/$file" <<'PY'
import os, sys
p = sys.argv[1]; s = open(p).read(); old = os.environ["OLD"]; new = os.environ["NEW"]
if s.count(old) != 1:
    sys.exit(1)
open(p, "w").write(s.replace(old, new))
PY
  then echo "mutation-check: $n no longer applies ($file does not contain the pattern once)" >&2; exit 2; fi
  if ! (cd "$work" && swift build --build-tests >"$work/build-$n.log" 2>&1); then
    echo "mutation-check: $n does not compile (see the pattern); log:" >&2; tail -20 "$work/build-$n.log" >&2; exit 2
  fi
  if (cd "$work" && swift test --skip-build --filter "$filter" >"$work/test-$n.log" 2>&1); then
    echo "MISSED  $n: $filter passed with the mutant"; status=1
  else
    echo "caught  $n: $(grep -c '✘ Test' "$work/test-$n.log") failing test(s) in $filter, e.g. $(grep -m1 '✘ Test' "$work/test-$n.log" | cut -c1-150)"
  fi
  mv "$work/$file.orig" "$work/$file"
done
exit $status
