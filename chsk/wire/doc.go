// Package wire is gosente's codec: Sente's EDN dialect and the envelope that
// frames every message, with no I/O.
//
// # Values
//
// The reader produces, and the printer accepts, these Go types:
//
//	EDN                 Go
//	nil                 nil
//	true, false         bool
//	42, -1              int64 (the printer takes every Go integer type)
//	42N, huge literals  *big.Int
//	1.5, 1.0E7, ##NaN   float64 (the printer takes float32 too)
//	1/3                 *big.Rat
//	1.50M               BigDecimal
//	"text"              string
//	\a, \newline        Char
//	:ns/name            Keyword
//	foo, my.ns/foo      Symbol
//	[1 2]               Vector (the printer takes []any and any slice too)
//	(1 2)               List
//	{:a 1}, #:ns{:a 1}  *Map (keys by value, insertion order kept)
//	#{1 2}              *Set
//	#uuid "…"           UUID
//	#inst "…"           time.Time
//	#my/tag value       Tagged (only for tags the caller registers or allows)
//
// Equal and Hash implement Clojure's value equality over these types.
package wire
