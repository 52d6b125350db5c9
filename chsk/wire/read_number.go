package wire

import (
	"math/big"
	"strconv"
	"unicode/utf8"
)

// readNumber reads a number literal at r.pos, which starts with a digit or
// with a sign and a digit.
func (r *reader) readNumber() (any, error) {
	d := r.data
	start := r.pos
	i := start
	neg := false
	if c := d[i]; c == '-' || c == '+' {
		neg = c == '-'
		i++
	}
	// Fast path: a decimal integer of up to 18 digits fits an int64.
	j := i
	var u uint64
	for j < len(d) && j-i < 18 {
		c := d[j]
		if class[c]&cDigit == 0 {
			break
		}
		u = u*10 + uint64(c-'0')
		j++
	}
	if (j == len(d) || class[d[j]]&(cSpace|cMacro) != 0) && (d[i] != '0' || j == i+1) && j-i <= r.maxDigits {
		r.pos = j
		n := int64(u)
		if neg {
			n = -n
		}
		return n, nil
	}
	return r.readNumberToken(start)
}

// readNumberToken reads the number token starting at start: everything up to
// whitespace or a macro character, as Clojure's reader delimits it.
func (r *reader) readNumberToken(start int) (any, error) {
	d := r.data
	end := start
	alnum := 0
	for end < len(d) {
		c := d[end]
		if c < utf8.RuneSelf {
			k := class[c]
			if k&(cSpace|cMacro) != 0 {
				break
			}
			if k&cAlnum != 0 {
				// Every literal has at most two letters that are not digits
				// (x, r or e, and N or M), so this many is too many digits.
				if alnum++; alnum > r.maxDigits+2 {
					return nil, r.digitsError(start)
				}
			}
			end++
			continue
		}
		ch, size := utf8.DecodeRune(d[end:])
		if ch == utf8.RuneError && size == 1 {
			return nil, r.syntax(end, "invalid UTF-8 in number")
		}
		if isSpaceRune(ch) {
			break
		}
		end += size
	}
	v, err := r.parseNumber(d[start:end], start)
	if err != nil {
		return nil, err
	}
	r.pos = end
	return v, nil
}

func (r *reader) digitsError(at int) error {
	return &LimitError{Limit: "digits", Max: r.maxDigits, Offset: at}
}

// parseNumber parses tok the way tools.reader's match-number does: as an
// integer, else a float, else a ratio.
func (r *reader) parseNumber(tok []byte, at int) (any, error) {
	body := tok
	neg := false
	if c := tok[0]; c == '-' || c == '+' {
		neg = c == '-'
		body = tok[1:]
	}
	if v, ok, err := r.parseInt(body, neg, at); ok {
		return v, err
	}
	if v, ok, err := r.parseFloat(tok, body, at); ok {
		return v, err
	}
	if v, ok, err := r.parseRatio(body, neg, at); ok {
		return v, err
	}
	return nil, r.syntax(at, "invalid number "+clip(tok))
}

func allClass(b []byte, k uint16) bool {
	for _, c := range b {
		if class[c]&k == 0 {
			return false
		}
	}
	return true
}

func allOctal(b []byte) bool {
	for _, c := range b {
		if c < '0' || c > '7' {
			return false
		}
	}
	return true
}

// parseInt matches
//
//	(0)|([1-9][0-9]*)|0[xX]([0-9A-Fa-f]+)|0([0-7]+)|([1-9][0-9]?)[rR]([0-9A-Za-z]+)|0[0-9]+
//
// followed by an optional N, and reports whether body matched.
func (r *reader) parseInt(body []byte, neg bool, at int) (any, bool, error) {
	if len(body) == 0 || class[body[0]]&cDigit == 0 {
		return nil, false, nil
	}
	// The radix form's digits take a trailing N as a digit, as the regular
	// expression's greedy match does; the other forms read it as a suffix.
	if k := radixMark(body); k > 0 {
		if !allClass(body[k+1:], cAlnum) {
			return nil, false, nil
		}
		if len(body)-1 > r.maxDigits {
			return nil, true, r.digitsError(at)
		}
		base, _ := strconv.Atoi(string(body[:k]))
		if base < 2 || base > 36 {
			return nil, true, r.syntax(at, "radix out of range")
		}
		return r.makeInt(body[k+1:], base, neg, false, at)
	}
	core, bigN := body, false
	if body[len(body)-1] == 'N' {
		core, bigN = body[:len(body)-1], true
	}
	switch {
	case len(core) == 0:
		return nil, false, nil
	case len(core) == 1 && core[0] == '0':
		if bigN {
			return new(big.Int), true, nil
		}
		return int64(0), true, nil
	case core[0] != '0':
		if !allClass(core, cDigit) {
			return nil, false, nil
		}
		if len(core) > r.maxDigits {
			return nil, true, r.digitsError(at)
		}
		return r.makeInt(core, 10, neg, bigN, at)
	case core[1] == 'x' || core[1] == 'X':
		if len(core) < 3 || !allClass(core[2:], cHex) {
			return nil, false, nil
		}
		if len(core)-1 > r.maxDigits {
			return nil, true, r.digitsError(at)
		}
		return r.makeInt(core[2:], 16, neg, bigN, at)
	case allOctal(core[1:]):
		if len(core) > r.maxDigits {
			return nil, true, r.digitsError(at)
		}
		return r.makeInt(core[1:], 8, neg, bigN, at)
	case allClass(core[1:], cDigit):
		return nil, true, r.syntax(at, "invalid number: leading 0 with a non-octal digit")
	}
	return nil, false, nil
}

// radixMark returns the index of the r in a radix literal's [1-9][0-9]?[rR]
// prefix, or 0.
func radixMark(b []byte) int {
	if len(b) < 3 || b[0] == '0' {
		return 0
	}
	if b[1] == 'r' || b[1] == 'R' {
		return 1
	}
	if class[b[1]]&cDigit != 0 && len(b) >= 4 && (b[2] == 'r' || b[2] == 'R') {
		return 2
	}
	return 0
}

// makeInt converts digits in base to an int64 when it fits and no N was
// given, else to a *big.Int.
func (r *reader) makeInt(digits []byte, base int, neg, bigN bool, at int) (any, bool, error) {
	if !bigN {
		if u, err := strconv.ParseUint(string(digits), base, 64); err == nil {
			switch {
			case !neg && u <= 1<<63-1:
				return int64(u), true, nil
			case neg && u <= 1<<63:
				return -int64(u), true, nil // -1<<63 wraps to itself
			}
		}
	}
	n, ok := new(big.Int).SetString(string(digits), base)
	if !ok {
		return nil, true, r.syntax(at, "invalid digit for radix "+strconv.Itoa(base))
	}
	if neg {
		n.Neg(n)
	}
	if !bigN && n.IsInt64() {
		return n.Int64(), true, nil
	}
	return n, true, nil
}

// parseFloat matches [0-9]+(\.[0-9]*)?([eE][-+]?[0-9]+)?(M)? against body
// and reports whether it matched.
func (r *reader) parseFloat(tok, body []byte, at int) (any, bool, error) {
	i, n := 0, len(body)
	digits := 0
	for i < n && class[body[i]]&cDigit != 0 {
		i++
	}
	if i == 0 {
		return nil, false, nil
	}
	digits += i
	point := -1
	if i < n && body[i] == '.' {
		point = i
		i++
		for i < n && class[body[i]]&cDigit != 0 {
			i++
			digits++
		}
	}
	exp := -1
	if i < n && (body[i] == 'e' || body[i] == 'E') {
		exp = i
		i++
		if i < n && (body[i] == '+' || body[i] == '-') {
			i++
		}
		j := i
		for i < n && class[body[i]]&cDigit != 0 {
			i++
		}
		if i == j {
			return nil, false, nil
		}
		digits += i - j
	}
	decimal := i < n && body[i] == 'M'
	if decimal {
		i++
	}
	if i != n {
		return nil, false, nil
	}
	if digits > r.maxDigits {
		return nil, true, r.digitsError(at)
	}
	if decimal {
		return r.makeDecimal(tok, body, point, exp, at)
	}
	f, err := strconv.ParseFloat(string(tok), 64)
	if err != nil && err.(*strconv.NumError).Err != strconv.ErrRange {
		return nil, true, r.syntax(at, "invalid number "+clip(tok))
	}
	return f, true, nil // out of range: ±Inf or 0, as Java's parseDouble gives
}

// makeDecimal builds a BigDecimal from a literal with an M suffix. The text
// keeps its digits (and so its scale) but drops a leading + and a point that
// no digit follows.
func (r *reader) makeDecimal(tok, body []byte, point, exp int, at int) (any, bool, error) {
	if exp >= 0 {
		// Bound the exponent: Equal and Hash expand a BigDecimal to an exact
		// rational, whose size grows with it.
		e := body[exp+1 : len(body)-1]
		if e[0] == '+' || e[0] == '-' {
			e = e[1:]
		}
		for len(e) > 1 && e[0] == '0' {
			e = e[1:]
		}
		if len(e) > 9 {
			return nil, true, r.digitsError(at)
		}
		if v, _ := strconv.Atoi(string(e)); v > r.maxDigits {
			return nil, true, r.digitsError(at)
		}
	}
	b := make([]byte, 0, len(tok))
	if tok[0] == '-' {
		b = append(b, '-')
	}
	text := body[:len(body)-1]
	if point >= 0 && (point == len(text)-1 || point+1 == exp) {
		b = append(b, text[:point]...)
		b = append(b, text[point+1:]...)
	} else {
		b = append(b, text...)
	}
	return BigDecimal(b), true, nil
}

// parseRatio matches [0-9]+/[0-9]+ against body and reports whether it
// matched. Like Clojure, a ratio whose denominator divides its numerator
// reads as an integer.
func (r *reader) parseRatio(body []byte, neg bool, at int) (any, bool, error) {
	k := -1
	for i, c := range body {
		if c == '/' {
			k = i
			break
		}
	}
	if k <= 0 || k == len(body)-1 || !allClass(body[:k], cDigit) || !allClass(body[k+1:], cDigit) {
		return nil, false, nil
	}
	if len(body)-1 > r.maxDigits {
		return nil, true, r.digitsError(at)
	}
	num, _ := new(big.Int).SetString(string(body[:k]), 10)
	den, _ := new(big.Int).SetString(string(body[k+1:]), 10)
	if den.Sign() == 0 {
		return nil, true, r.syntax(at, "divide by zero")
	}
	if neg {
		num.Neg(num)
	}
	q := new(big.Rat).SetFrac(num, den)
	if q.IsInt() {
		n := q.Num()
		if n.IsInt64() {
			return n.Int64(), true, nil
		}
		return new(big.Int).Set(n), true, nil
	}
	return q, true, nil
}
