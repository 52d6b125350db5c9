//go:build !race

package chsk

// raceEnabled is true under -race, which adds allocations of its own.
const raceEnabled = false
