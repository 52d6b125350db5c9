package wire

import "time"

// parseInst parses the text of an #inst the way clojure.instant does: an
// RFC 3339 timestamp whose trailing parts may be left out,
//
//	yyyy[-MM[-dd[Thh[:mm[:ss[.fraction]]]]]][Z|(+|-)hh:mm]
//
// where missing parts are the start of their period and a missing offset is
// UTC. Fraction digits past the ninth are ignored. Second 60 is accepted at
// minute 59 (a leap second) and rolls over to the next minute, as
// java.util.Calendar does. The result is in UTC.
func parseInst(s string) (time.Time, bool) {
	year, ok := digitsAt(s, 0, 4)
	if !ok {
		return time.Time{}, false
	}
	// Read as many parts as are there; ends[l] is where the text of level l
	// (0: year … 6: fraction) ends.
	var ends [7]int
	var part [6]int // month, day, hour, minute, second, nanosecond
	ends[0] = 4
	level, i := 0, 4
	seps := "--T::"
	for level < 5 {
		if i+3 > len(s) || s[i] != seps[level] {
			break
		}
		v, ok := digitsAt(s, i+1, 2)
		if !ok {
			break
		}
		part[level] = v
		i += 3
		level++
		ends[level] = i
	}
	if level == 5 && i+1 < len(s) && s[i] == '.' && isDigitByte(s[i+1]) {
		j := i + 1
		ns, n := 0, 0
		for j < len(s) && isDigitByte(s[j]) {
			if n < 9 {
				ns = ns*10 + int(s[j]-'0')
				n++
			}
			j++
		}
		for ; n < 9; n++ {
			ns *= 10
		}
		part[5] = ns
		level = 6
		ends[6] = j
	}
	// The pattern's optional parts and its offset can both start with '-':
	// like the regular expression's backtracking, prefer the longest reading
	// of the date and time after which an offset (or nothing) ends the text.
	for l := level; l >= 0; l-- {
		offset, ok := parseOffset(s[ends[l]:])
		if !ok {
			continue
		}
		month, day, hour, minute, sec, nsec := 1, 1, 0, 0, 0, 0
		if l >= 1 {
			month = part[0]
		}
		if l >= 2 {
			day = part[1]
		}
		if l >= 3 {
			hour = part[2]
		}
		if l >= 4 {
			minute = part[3]
		}
		if l >= 5 {
			sec = part[4]
		}
		if l >= 6 {
			nsec = part[5]
		}
		maxSec := 59
		if minute == 59 {
			maxSec = 60
		}
		if month < 1 || month > 12 || day < 1 || day > daysIn(month, year) ||
			hour > 23 || minute > 59 || sec > maxSec {
			return time.Time{}, false
		}
		t := time.Date(year, time.Month(month), day, hour, minute, sec, nsec, time.UTC)
		return t.Add(-time.Duration(offset) * time.Second), true
	}
	return time.Time{}, false
}

// parseOffset parses what may end an #inst: nothing, Z, or (+|-)hh:mm. It
// returns the offset east of UTC in seconds.
func parseOffset(s string) (int, bool) {
	switch {
	case s == "" || s == "Z":
		return 0, true
	case len(s) != 6 || (s[0] != '+' && s[0] != '-') || s[3] != ':':
		return 0, false
	}
	h, ok1 := digitsAt(s, 1, 2)
	m, ok2 := digitsAt(s, 4, 2)
	if !ok1 || !ok2 || h > 23 || m > 59 {
		return 0, false
	}
	off := h*3600 + m*60
	if s[0] == '-' {
		off = -off
	}
	return off, true
}

func isDigitByte(c byte) bool { return '0' <= c && c <= '9' }

// digitsAt parses the n decimal digits at s[i:i+n].
func digitsAt(s string, i, n int) (int, bool) {
	if i+n > len(s) {
		return 0, false
	}
	v := 0
	for _, c := range []byte(s[i : i+n]) {
		if !isDigitByte(c) {
			return 0, false
		}
		v = v*10 + int(c-'0')
	}
	return v, true
}

func daysIn(month, year int) int {
	switch month {
	case 2:
		if year%4 == 0 && (year%100 != 0 || year%400 == 0) {
			return 29
		}
		return 28
	case 4, 6, 9, 11:
		return 30
	}
	return 31
}
