package wire

import (
	"math"
	"strconv"
)

// appendFloat prints f the way Java's Double.toString (bits 64) or
// Float.toString (bits 32) does, with the shortest digits that read back to
// the same value: plain decimal with at least one fractional digit when
// 1e-3 <= |f| < 1e7 (1.0, 0.001, 9999999.0, -0.0), computerized scientific
// notation otherwise (1.0E7, 1.0E-4, 1.5E-7); non-finite values as ##NaN,
// ##Inf and ##-Inf.
func appendFloat(dst []byte, f float64, bits int) []byte {
	switch {
	case math.IsNaN(f):
		return append(dst, "##NaN"...)
	case math.IsInf(f, 1):
		return append(dst, "##Inf"...)
	case math.IsInf(f, -1):
		return append(dst, "##-Inf"...)
	}
	// strconv gives the shortest digits as [-]d[.ddd]e±dd; rearrange them.
	var buf [32]byte
	b := strconv.AppendFloat(buf[:0], f, 'e', -1, bits)
	if b[0] == '-' {
		dst = append(dst, '-')
		b = b[1:]
	}
	e := len(b) - 4 // the exponent has two or three digits
	if b[e] != 'e' {
		e--
	}
	var digits [24]byte
	digits[0] = b[0]
	n := 1
	if e > 1 { // b[1] is the decimal point
		n += copy(digits[1:], b[2:e])
	}
	exp := 0
	for _, c := range b[e+2:] {
		exp = exp*10 + int(c-'0')
	}
	if b[e+1] == '-' {
		exp = -exp
	}
	if n == 1 && math.Abs(f) < smallestNormal(bits) {
		// Java picks, when one digit is enough, the closest decimal of one
		// or two digits; they differ only for subnormals (Double.MIN_VALUE
		// prints 4.9E-324, not 5.0E-324).
		var two [32]byte
		t := strconv.AppendFloat(two[:0], math.Abs(f), 'e', 1, bits) // d.de±dd
		if g, err := strconv.ParseFloat(string(t), bits); err == nil && g == math.Abs(f) && t[2] != '0' {
			digits[0], digits[1] = t[0], t[2]
			n = 2
			exp = 0
			for _, c := range t[5:] {
				exp = exp*10 + int(c-'0')
			}
			if t[4] == '-' {
				exp = -exp
			}
		}
	}
	d := digits[:n]

	switch {
	case exp >= 0 && exp < 7: // 1 <= |f| < 1e7, or zero
		whole := exp + 1
		if n <= whole {
			dst = append(dst, d...)
			for i := n; i < whole; i++ {
				dst = append(dst, '0')
			}
			return append(dst, '.', '0')
		}
		dst = append(dst, d[:whole]...)
		dst = append(dst, '.')
		return append(dst, d[whole:]...)
	case exp < 0 && exp >= -3: // 1e-3 <= |f| < 1
		dst = append(dst, '0', '.')
		for i := -1; i > exp; i-- {
			dst = append(dst, '0')
		}
		return append(dst, d...)
	}
	dst = append(dst, d[0], '.')
	if n > 1 {
		dst = append(dst, d[1:]...)
	} else {
		dst = append(dst, '0')
	}
	dst = append(dst, 'E')
	return strconv.AppendInt(dst, int64(exp), 10)
}

func smallestNormal(bits int) float64 {
	if bits == 32 {
		return 0x1p-126
	}
	return 0x1p-1022
}
