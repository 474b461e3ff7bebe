//go:build race

package gemm

// raceEnabled is true under the race detector, where the plain-Go kernel is
// slow enough that tests skip it on their largest problems.
const raceEnabled = true
