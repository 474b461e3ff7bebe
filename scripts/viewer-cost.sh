#!/usr/bin/env bash
# What 20 SSH viewers (one never reading) cost training: N alternating runs of
# BenchmarkUnservedTraining and BenchmarkServedTraining (internal/serve), then
# benchstat (if installed) and the geometric mean of the paired ratios with a
# 95% interval. Run nothing else heavy meanwhile.
#   scripts/viewer-cost.sh [N] [batches]      (default 10 pairs of 250 batches)
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-10}
batches=${2:-250}
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
go test -c -o "$dir/serve.test" ./internal/serve
"$dir/serve.test" -test.run X -test.bench '^BenchmarkUnservedTraining$' -test.benchtime 1x >/dev/null # warm the caches
for _ in $(seq "$n"); do
	(cd internal/serve && "$dir/serve.test" -test.run X -test.bench '^BenchmarkUnservedTraining$' -test.benchtime "${batches}x") |
		grep '^Benchmark' | sed 's/UnservedTraining/Training/' >>"$dir/unserved.txt"
	(cd internal/serve && "$dir/serve.test" -test.run X -test.bench '^BenchmarkServedTraining$' -test.benchtime "${batches}x") |
		grep '^Benchmark' | sed 's/ServedTraining/Training/; s/ [0-9.]* B\/s\/client//' >>"$dir/served.txt"
done
if command -v benchstat >/dev/null || [ -x "$HOME/go/bin/benchstat" ]; then
	"$(command -v benchstat || echo "$HOME/go/bin/benchstat")" unserved="$dir/unserved.txt" served="$dir/served.txt"
fi
paste <(grep -o '[0-9]* images/s' "$dir/unserved.txt") <(grep -o '[0-9]* images/s' "$dir/served.txt") |
	awk '{r = log($3 / $1); s += r; ss += r * r; k++}
	END {
		m = s / k; se = k > 1 ? sqrt((ss - k * m * m) / (k - 1) / k) : 0
		printf "served/unserved, %d pairs: %+.2f%% (95%% interval %+.2f%% to %+.2f%%)\n", k, 100 * (exp(m) - 1), 100 * (exp(m - 2 * se) - 1), 100 * (exp(m + 2 * se) - 1)
	}'
