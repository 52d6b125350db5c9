package wire

import (
	"math"
	"math/big"
	"reflect"
	"strconv"
	"time"
	"unicode/utf8"
)

// decodeMaxDepth bounds how deeply Decode follows nested values, so that a
// cyclic source value fails with an error instead of overflowing the stack.
const decodeMaxDepth = 1000

// DecodeError reports a value that Decode cannot store in its destination.
type DecodeError struct {
	Path   string       // where the value sits in the source, e.g. ".user.id" or "[3]"; "" at the top
	Src    string       // what the source value is: "keyword", "integer", "vector", …
	Type   reflect.Type // the Go type it was to be stored in
	Reason string       // more detail, or ""
	Err    error        // the underlying error, or nil
}

// Error implements error.
func (e *DecodeError) Error() string {
	s := "edn: cannot decode " + e.Src + " into "
	if e.Type != nil {
		s += e.Type.String()
	} else {
		s += "nil"
	}
	if e.Path != "" {
		s += " at " + e.Path
	}
	if e.Reason != "" {
		s += ": " + e.Reason
	}
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

// Unwrap returns the underlying error.
func (e *DecodeError) Unwrap() error { return e.Err }

// Unmarshal reads one EDN value from data (Read with default options) and
// decodes it into dst, a non-nil pointer. See Decode.
func Unmarshal(data []byte, dst any) error {
	v, err := Read(data, nil)
	if err != nil {
		return err
	}
	return Decode(v, dst)
}

// Decode stores the value v, as the reader produces it (or any value Append
// accepts), into the Go value dst points to. It converts:
//
//   - into any: v itself, unchanged;
//   - into bool: a boolean;
//   - into integer types: an integer that fits (never a float: EDN tells 1
//     from 1.0);
//   - into float types: a float or an integer (as a ClojureScript number),
//     and ratios and BigDecimals approximately;
//   - into string types: a string; into Keyword and Symbol: a keyword, a
//     symbol or a string; into Char: a character or a one-character string
//     (what a ClojureScript client sends for \a); into UUID: a #uuid or its
//     text; into BigDecimal: a BigDecimal or an integer; into *big.Int: an
//     integer; into *big.Rat: a ratio, an integer or a BigDecimal; into
//     time.Time, Tagged, *Map and *Set: the same kind of value;
//   - into Event: a vector [:ns/id] or [:ns/id data];
//   - into Raw: the printed text of v;
//   - into slices: a vector, list or set; into arrays: one of exactly the
//     array's length;
//   - into Go maps: a map, converting keys and values; a keyword key stored
//     under a string key type becomes its text without the colon (ns/name);
//   - into structs: a map whose keyword or string keys name fields as Append
//     names them; other keys are ignored, and fields without a key keep their
//     value;
//   - into pointers: what they point to, allocating as needed; nil makes any
//     destination its zero value.
//
// Errors are *DecodeError, with the path to the offending value.
func Decode(v any, dst any) error {
	rv := reflect.ValueOf(dst)
	if rv.Kind() != reflect.Pointer || rv.IsNil() {
		return &DecodeError{Src: srcKind(v), Type: reflect.TypeOf(dst), Reason: "the destination must be a non-nil pointer"}
	}
	return decodeValue(v, rv.Elem(), 0)
}

func decodeFail(src any, t reflect.Type, reason string) error {
	return &DecodeError{Src: srcKind(src), Type: t, Reason: reason}
}

// decodePath prepends seg to the path of a *DecodeError; it runs only on the
// error path.
func decodePath(err error, seg string) error {
	if e, ok := err.(*DecodeError); ok {
		e.Path = seg + e.Path
	}
	return err
}

// srcKind names the kind of a source value for error messages.
func srcKind(v any) string {
	switch v.(type) {
	case nil:
		return "nil"
	case bool:
		return "boolean"
	case int, int8, int16, int32, int64, uint, uint8, uint16, uint32, uint64, *big.Int:
		return "integer"
	case float64, float32:
		return "float"
	case *big.Rat:
		return "ratio"
	case BigDecimal:
		return "BigDecimal"
	case string:
		return "string"
	case Keyword:
		return "keyword"
	case Symbol:
		return "symbol"
	case Char:
		return "character"
	case Vector, []any:
		return "vector"
	case List:
		return "list"
	case *Map:
		return "map"
	case *Set:
		return "set"
	case UUID:
		return "#uuid"
	case time.Time:
		return "#inst"
	case Tagged:
		return "tagged literal"
	case Event:
		return "event"
	case Raw:
		return "raw EDN"
	}
	return reflect.TypeOf(v).String()
}

// isModelValue reports whether v is one of the types the reader produces.
func isModelValue(v any) bool {
	switch v.(type) {
	case nil, bool, int64, float64, string, Keyword, Symbol, Char, *big.Int, *big.Rat, BigDecimal,
		Vector, List, []any, *Map, *Set, UUID, time.Time, Tagged:
		return true
	}
	return false
}

func decodeValue(src any, dv reflect.Value, depth int) error {
	t := dv.Type()
	if depth >= decodeMaxDepth {
		return decodeFail(src, t, "nested deeper than "+strconv.Itoa(decodeMaxDepth)+" levels (a cycle?)")
	}
	if t.Kind() == reflect.Interface {
		switch {
		case src == nil:
			dv.SetZero()
		case reflect.TypeOf(src).AssignableTo(t):
			dv.Set(reflect.ValueOf(src))
		default:
			return decodeFail(src, t, "it does not implement the interface")
		}
		return nil
	}
	if src != nil && reflect.TypeOf(src) == t {
		dv.Set(reflect.ValueOf(src))
		return nil
	}
	if t == typeRaw {
		b, err := Marshal(src)
		if err != nil {
			return &DecodeError{Src: srcKind(src), Type: t, Err: err}
		}
		dv.SetBytes(b)
		return nil
	}
	if !isModelValue(src) {
		n, err := normalize(src)
		if err != nil {
			if e, ok := err.(*DecodeError); ok && e.Type == nil {
				e.Type = t
			}
			return err
		}
		src = n
		if src != nil && reflect.TypeOf(src) == t {
			dv.Set(reflect.ValueOf(src))
			return nil
		}
	}
	if src == nil {
		dv.SetZero()
		return nil
	}
	if done, err := decodeModelType(src, dv); done {
		return err
	}

	switch t.Kind() {
	case reflect.Pointer:
		if dv.IsNil() {
			dv.Set(reflect.New(t.Elem()))
		}
		return decodeValue(src, dv.Elem(), depth+1)
	case reflect.Bool:
		if b, ok := src.(bool); ok {
			dv.SetBool(b)
			return nil
		}
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		var i int64
		switch x := src.(type) {
		case int64:
			i = x
		case *big.Int:
			if !x.IsInt64() {
				return decodeFail(src, t, "out of range")
			}
			i = x.Int64()
		default:
			return decodeFail(src, t, "")
		}
		if dv.OverflowInt(i) {
			return decodeFail(src, t, "out of range")
		}
		dv.SetInt(i)
		return nil
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		var u uint64
		ok := true
		switch x := src.(type) {
		case int64:
			ok = x >= 0
			u = uint64(x)
		case *big.Int:
			ok = x.IsUint64()
			u = x.Uint64()
		default:
			return decodeFail(src, t, "")
		}
		if !ok || dv.OverflowUint(u) {
			return decodeFail(src, t, "out of range")
		}
		dv.SetUint(u)
		return nil
	case reflect.Float32, reflect.Float64:
		var f float64
		switch x := src.(type) {
		case float64:
			f = x
		case int64:
			f = float64(x)
		case *big.Int:
			f, _ = new(big.Float).SetInt(x).Float64()
		case *big.Rat:
			f, _ = x.Float64()
		case BigDecimal:
			r, ok := x.Rat()
			if !ok {
				return decodeFail(src, t, "malformed BigDecimal")
			}
			f, _ = r.Float64()
		default:
			return decodeFail(src, t, "")
		}
		if !math.IsInf(f, 0) && dv.OverflowFloat(f) {
			return decodeFail(src, t, "out of range")
		}
		dv.SetFloat(f)
		return nil
	case reflect.String:
		if s, ok := src.(string); ok {
			dv.SetString(s)
			return nil
		}
	case reflect.Slice:
		elems, ok := srcElems(src)
		if !ok {
			break
		}
		s := reflect.MakeSlice(t, len(elems), len(elems))
		for i, e := range elems {
			if err := decodeValue(e, s.Index(i), depth+1); err != nil {
				return decodePath(err, "["+strconv.Itoa(i)+"]")
			}
		}
		dv.Set(s)
		return nil
	case reflect.Array:
		elems, ok := srcElems(src)
		if !ok {
			break
		}
		if len(elems) != t.Len() {
			return decodeFail(src, t, "it has "+strconv.Itoa(len(elems))+" elements")
		}
		for i, e := range elems {
			if err := decodeValue(e, dv.Index(i), depth+1); err != nil {
				return decodePath(err, "["+strconv.Itoa(i)+"]")
			}
		}
		return nil
	case reflect.Map:
		if m, ok := src.(*Map); ok {
			return decodeMap(m, dv, depth)
		}
	case reflect.Struct:
		if m, ok := src.(*Map); ok {
			return decodeStruct(m, dv, depth)
		}
	}
	return decodeFail(src, t, "")
}

// decodeModelType handles destinations of the value model's own types and of
// math/big; done is false for every other destination type.
func decodeModelType(src any, dv reflect.Value) (done bool, err error) {
	t := dv.Type()
	switch t {
	case typeKeyword, typeSymbol:
		switch x := src.(type) {
		case Keyword:
			dv.SetString(string(x))
		case Symbol:
			dv.SetString(string(x))
		case string:
			dv.SetString(x)
		default:
			return true, decodeFail(src, t, "")
		}
	case typeChar:
		switch x := src.(type) {
		case Char:
			dv.SetInt(int64(x))
		case string:
			r, size := utf8.DecodeRuneInString(x)
			if size == 0 || size != len(x) || r == utf8.RuneError {
				return true, decodeFail(src, t, "not a single character")
			}
			dv.SetInt(int64(r))
		default:
			return true, decodeFail(src, t, "")
		}
	case typeBigDecimal:
		switch x := src.(type) {
		case BigDecimal:
			dv.SetString(string(x))
		case int64:
			dv.SetString(strconv.FormatInt(x, 10))
		case *big.Int:
			dv.SetString(x.String())
		default:
			return true, decodeFail(src, t, "")
		}
	case typeUUID:
		switch x := src.(type) {
		case UUID:
			dv.Set(reflect.ValueOf(x))
		case string:
			u, err := ParseUUID(x)
			if err != nil {
				return true, &DecodeError{Src: "string", Type: t, Err: err}
			}
			dv.Set(reflect.ValueOf(u))
		default:
			return true, decodeFail(src, t, "")
		}
	case typeEvent:
		elems, ok := srcElems(src)
		if !ok || len(elems) < 1 || len(elems) > 2 {
			return true, decodeFail(src, t, "an event is a vector [:ns/id] or [:ns/id data]")
		}
		id, ok := elems[0].(Keyword)
		if !ok || id.Namespace() == "" {
			return true, decodeFail(src, t, "an event id is a namespaced keyword")
		}
		ev := Event{ID: id}
		if len(elems) == 2 {
			ev.Data = elems[1]
		}
		dv.Set(reflect.ValueOf(ev))
	case typeBigIntPtr, typeBigInt:
		var z big.Int
		switch x := src.(type) {
		case int64:
			z.SetInt64(x)
		case *big.Int:
			z.Set(x)
		default:
			return true, decodeFail(src, t, "")
		}
		setBig(dv, &z)
	case typeBigRatPtr, typeBigRat:
		var z big.Rat
		switch x := src.(type) {
		case *big.Rat:
			z.Set(x)
		case int64:
			z.SetInt64(x)
		case *big.Int:
			z.SetInt(x)
		case BigDecimal:
			r, ok := x.Rat()
			if !ok {
				return true, decodeFail(src, t, "malformed BigDecimal")
			}
			z.Set(r)
		default:
			return true, decodeFail(src, t, "")
		}
		setBig(dv, &z)
	case typeTime, typeTagged, typeMapPtr, typeSetPtr:
		// Only the same type fits, which decodeValue has handled already.
		return true, decodeFail(src, t, "")
	case typeMap, typeSet, typeBigFloat:
		return true, decodeFail(src, t, "decode into a pointer (*wire.Map, *wire.Set) or BigDecimal")
	default:
		return false, nil
	}
	return true, nil
}

// setBig stores the big.Int or big.Rat *z into dv, which has type *T or T.
func setBig[T any](dv reflect.Value, z *T) {
	if dv.Kind() == reflect.Pointer {
		dv.Set(reflect.ValueOf(z))
		return
	}
	dv.Set(reflect.ValueOf(z).Elem())
}

func srcElems(src any) ([]any, bool) {
	switch x := src.(type) {
	case Vector:
		return x, true
	case List:
		return x, true
	case []any:
		return x, true
	case *Set:
		return x.Elems(), true
	}
	return nil, false
}

func decodeMap(m *Map, dv reflect.Value, depth int) error {
	t := dv.Type()
	if dv.IsNil() {
		dv.Set(reflect.MakeMapWithSize(t, m.Len()))
	}
	kt, vt := t.Key(), t.Elem()
	stringKeys := kt.Kind() == reflect.String && kt != typeKeyword && kt != typeSymbol && kt != typeBigDecimal
	for _, e := range m.Entries() {
		kv := reflect.New(kt).Elem()
		if k, ok := e.Key.(Keyword); ok && stringKeys {
			kv.SetString(string(k))
		} else if err := decodeValue(e.Key, kv, depth+1); err != nil {
			return decodePath(err, entryPath(e.Key)+"{key}")
		}
		vv := reflect.New(vt).Elem()
		if err := decodeValue(e.Value, vv, depth+1); err != nil {
			return decodePath(err, entryPath(e.Key))
		}
		dv.SetMapIndex(kv, vv)
	}
	return nil
}

// entryPath is the path segment of a map entry: .name for keyword keys,
// [key] for others.
func entryPath(key any) string {
	if k, ok := key.(Keyword); ok {
		return "." + string(k)
	}
	if b, err := Marshal(key); err == nil && len(b) <= 64 {
		return "[" + string(b) + "]"
	}
	return "[?]"
}

func decodeStruct(m *Map, dv reflect.Value, depth int) error {
	fields := cachedFields(dv.Type())
	for _, e := range m.Entries() {
		var name string
		switch k := e.Key.(type) {
		case Keyword:
			name = string(k)
		case string:
			name = k
		default:
			continue
		}
		i, ok := fields.byName[name]
		if !ok {
			continue
		}
		f := &fields.list[i]
		if err := decodeValue(e.Value, fieldForSet(dv, f.index), depth+1); err != nil {
			return decodePath(err, "."+f.name)
		}
	}
	return nil
}

// fieldForSet returns the field at index, allocating nil embedded pointers on
// the way.
func fieldForSet(v reflect.Value, index []int) reflect.Value {
	for i, x := range index {
		if i > 0 && v.Kind() == reflect.Pointer {
			if v.IsNil() {
				v.Set(reflect.New(v.Type().Elem()))
			}
			v = v.Elem()
		}
		v = v.Field(x)
	}
	return v
}

// normalize turns a Go value that is not part of the value model into the
// model value Append would print it as, one level deep: integers into int64
// (or *big.Int), float32 into float64, named scalar types into their base
// type, slices and arrays into []any, Go maps and structs into *Map, pointers
// into what they point to, Event into a Vector, Raw into the value it holds.
func normalize(src any) (any, error) {
	for range decodeMaxDepth {
		switch x := src.(type) {
		case Event:
			if x.Data == nil {
				return Vector{x.ID}, nil
			}
			return Vector{x.ID, x.Data}, nil
		case Raw:
			v, err := Read(x, nil)
			if err != nil {
				return nil, &DecodeError{Src: "raw EDN", Err: err}
			}
			return v, nil
		case float32:
			return float64(x), nil
		case uint64:
			if x > math.MaxInt64 {
				return new(big.Int).SetUint64(x), nil
			}
			return int64(x), nil
		}
		if isModelValue(src) {
			return src, nil
		}
		v := reflect.ValueOf(src)
		t := v.Type()
		switch t {
		case typeMap:
			m := v.Interface().(Map)
			return &m, nil
		case typeSet:
			s := v.Interface().(Set)
			return &s, nil
		case typeBigInt:
			z := v.Interface().(big.Int)
			return new(big.Int).Set(&z), nil
		case typeBigRat:
			z := v.Interface().(big.Rat)
			return new(big.Rat).Set(&z), nil
		}
		switch t.Kind() {
		case reflect.Bool:
			return v.Bool(), nil
		case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
			return v.Int(), nil
		case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
			src = v.Uint()
			continue
		case reflect.Float32, reflect.Float64:
			return v.Float(), nil
		case reflect.String:
			return v.String(), nil
		case reflect.Pointer, reflect.Interface:
			if v.IsNil() {
				return nil, nil
			}
			src = v.Elem().Interface()
			continue
		case reflect.Slice, reflect.Array:
			if t.Kind() == reflect.Slice && t.Elem().Kind() == reflect.Uint8 {
				break
			}
			out := make([]any, v.Len())
			for i := range out {
				out[i] = v.Index(i).Interface()
			}
			return out, nil
		case reflect.Map:
			m := &Map{}
			for it := v.MapRange(); it.Next(); {
				m.Set(it.Key().Interface(), it.Value().Interface())
			}
			return m, nil
		case reflect.Struct:
			m := &Map{}
			for _, f := range cachedFields(t).list {
				fv, ok := fieldByIndex(v, f.index)
				if !ok || f.omitEmpty && isEmptyValue(fv) {
					continue
				}
				m.Set(Keyword(f.name), fv.Interface())
			}
			return m, nil
		}
		return nil, &DecodeError{Src: t.String(), Reason: "it has no EDN form"}
	}
	return nil, &DecodeError{Src: srcKind(src), Reason: "pointers nested deeper than " + strconv.Itoa(decodeMaxDepth) + " levels (a cycle?)"}
}
