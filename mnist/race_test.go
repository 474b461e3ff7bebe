//go:build race

package mnist

// raceEnabled reports whether the tests run under the race detector.
const raceEnabled = true
