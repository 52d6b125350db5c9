package wire

import (
	"bytes"
	"math/big"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode"
)

// This file prints the Go values that are not part of the value model (struct,
// maps, slices, named types, pointers) through reflection. Each type gets an
// encoder, built once and cached, so printing a struct costs no reflection
// lookups beyond reading its fields.

type encoderFunc func(dst []byte, v reflect.Value, depth int) ([]byte, error)

// encoderCache maps reflect.Type to encoderFunc. It grows with the number of
// distinct Go types printed, which is bounded by the program.
var encoderCache sync.Map

var (
	typeKeyword    = reflect.TypeFor[Keyword]()
	typeSymbol     = reflect.TypeFor[Symbol]()
	typeChar       = reflect.TypeFor[Char]()
	typeBigDecimal = reflect.TypeFor[BigDecimal]()
	typeUUID       = reflect.TypeFor[UUID]()
	typeTime       = reflect.TypeFor[time.Time]()
	typeTagged     = reflect.TypeFor[Tagged]()
	typeEvent      = reflect.TypeFor[Event]()
	typeRaw        = reflect.TypeFor[Raw]()
	typeMap        = reflect.TypeFor[Map]()
	typeSet        = reflect.TypeFor[Set]()
	typeMapPtr     = reflect.TypeFor[*Map]()
	typeSetPtr     = reflect.TypeFor[*Set]()
	typeBigInt     = reflect.TypeFor[big.Int]()
	typeBigRat     = reflect.TypeFor[big.Rat]()
	typeBigIntPtr  = reflect.TypeFor[*big.Int]()
	typeBigRatPtr  = reflect.TypeFor[*big.Rat]()
	typeBigFloat   = reflect.TypeFor[big.Float]()
	typeVector     = reflect.TypeFor[Vector]()
	typeList       = reflect.TypeFor[List]()
	typeAnySlice   = reflect.TypeFor[[]any]()
)

func appendReflect(dst []byte, v reflect.Value, depth int) ([]byte, error) {
	return typeEncoder(v.Type())(dst, v, depth)
}

// typeEncoder returns the cached encoder of t, building it on first use. A
// recursive type finds its own encoder in the cache while it is being built,
// as a stub that waits for the real one (the technique of encoding/json).
func typeEncoder(t reflect.Type) encoderFunc {
	if f, ok := encoderCache.Load(t); ok {
		return f.(encoderFunc)
	}
	var (
		wg sync.WaitGroup
		f  encoderFunc
	)
	wg.Add(1)
	stub, loaded := encoderCache.LoadOrStore(t, encoderFunc(func(dst []byte, v reflect.Value, depth int) ([]byte, error) {
		wg.Wait()
		return f(dst, v, depth)
	}))
	if loaded {
		return stub.(encoderFunc)
	}
	f = newTypeEncoder(t)
	wg.Done()
	encoderCache.Store(t, f)
	return f
}

func newTypeEncoder(t reflect.Type) encoderFunc {
	switch t {
	case typeKeyword:
		return func(dst []byte, v reflect.Value, _ int) ([]byte, error) {
			return appendKeyword(dst, Keyword(v.String()))
		}
	case typeSymbol:
		return func(dst []byte, v reflect.Value, _ int) ([]byte, error) {
			return appendSymbol(dst, Symbol(v.String()))
		}
	case typeBigDecimal:
		return func(dst []byte, v reflect.Value, _ int) ([]byte, error) {
			return appendBigDecimal(dst, BigDecimal(v.String()))
		}
	case typeChar:
		return func(dst []byte, v reflect.Value, _ int) ([]byte, error) {
			return appendChar(dst, Char(v.Int()))
		}
	case typeRaw:
		return func(dst []byte, v reflect.Value, _ int) ([]byte, error) {
			return appendRaw(dst, Raw(v.Bytes()))
		}
	case typeUUID:
		return func(dst []byte, v reflect.Value, _ int) ([]byte, error) {
			return appendUUID(dst, addrOf[UUID](v)), nil
		}
	case typeTime:
		return func(dst []byte, v reflect.Value, _ int) ([]byte, error) {
			return appendInst(dst, addrOf[time.Time](v))
		}
	case typeTagged:
		return func(dst []byte, v reflect.Value, depth int) ([]byte, error) {
			return appendTagged(dst, addrOf[Tagged](v), depth)
		}
	case typeEvent:
		return func(dst []byte, v reflect.Value, depth int) ([]byte, error) {
			return appendEvent(dst, *addrOf[Event](v), depth)
		}
	case typeMap:
		return func(dst []byte, v reflect.Value, depth int) ([]byte, error) {
			return appendMap(dst, addrOf[Map](v), depth)
		}
	case typeSet:
		return func(dst []byte, v reflect.Value, depth int) ([]byte, error) {
			return appendSet(dst, addrOf[Set](v), depth)
		}
	case typeBigInt:
		return func(dst []byte, v reflect.Value, _ int) ([]byte, error) {
			return appendBigInt(dst, addrOf[big.Int](v)), nil
		}
	case typeBigRat:
		return func(dst []byte, v reflect.Value, _ int) ([]byte, error) {
			return appendRat(dst, addrOf[big.Rat](v)), nil
		}
	case typeMapPtr, typeSetPtr, typeBigIntPtr, typeBigRatPtr:
		// appendAny handles these, nil included; a pointer in an interface
		// costs no allocation.
		return func(dst []byte, v reflect.Value, depth int) ([]byte, error) {
			return appendAny(dst, v.Interface(), depth)
		}
	case typeVector, typeAnySlice:
		return newSeqEncoder('[', ']', t)
	case typeList:
		return newSeqEncoder('(', ')', t)
	case typeBigFloat:
		return unsupportedEncoder(t, "big.Float has no EDN form; use BigDecimal")
	}

	switch t.Kind() {
	case reflect.Bool:
		return func(dst []byte, v reflect.Value, _ int) ([]byte, error) {
			return appendBool(dst, v.Bool()), nil
		}
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return func(dst []byte, v reflect.Value, _ int) ([]byte, error) {
			return strconv.AppendInt(dst, v.Int(), 10), nil
		}
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return func(dst []byte, v reflect.Value, _ int) ([]byte, error) {
			return appendUint(dst, v.Uint()), nil
		}
	case reflect.Float32:
		return func(dst []byte, v reflect.Value, _ int) ([]byte, error) {
			return appendFloat(dst, v.Float(), 32), nil
		}
	case reflect.Float64:
		return func(dst []byte, v reflect.Value, _ int) ([]byte, error) {
			return appendFloat(dst, v.Float(), 64), nil
		}
	case reflect.String:
		return func(dst []byte, v reflect.Value, _ int) ([]byte, error) {
			return appendString(dst, v.String())
		}
	case reflect.Interface:
		return func(dst []byte, v reflect.Value, depth int) ([]byte, error) {
			if v.IsNil() {
				return append(dst, "nil"...), nil
			}
			return appendAny(dst, v.Interface(), depth)
		}
	case reflect.Pointer:
		return newPointerEncoder(t)
	case reflect.Struct:
		return newStructEncoder(t)
	case reflect.Map:
		return newMapEncoder(t)
	case reflect.Slice:
		if t.Elem().Kind() == reflect.Uint8 {
			return unsupportedEncoder(t, "byte slices have no EDN form")
		}
		return newSeqEncoder('[', ']', t)
	case reflect.Array:
		return newSeqEncoder('[', ']', t)
	}
	return unsupportedEncoder(t, "a "+t.Kind().String()+" has no EDN form")
}

// addrOf returns a pointer to the T held by v: v's own address when it has
// one, else a copy.
func addrOf[T any](v reflect.Value) *T {
	if v.CanAddr() {
		return v.Addr().Interface().(*T)
	}
	x := v.Interface().(T)
	return &x
}

func unsupportedEncoder(t reflect.Type, reason string) encoderFunc {
	return func(dst []byte, _ reflect.Value, _ int) ([]byte, error) {
		return dst, unsupported(t, reason)
	}
}

func newPointerEncoder(t reflect.Type) encoderFunc {
	elem := typeEncoder(t.Elem())
	return func(dst []byte, v reflect.Value, depth int) ([]byte, error) {
		if v.IsNil() {
			return append(dst, "nil"...), nil
		}
		if depth >= printMaxDepth {
			return dst, tooDeep(t)
		}
		return elem(dst, v.Elem(), depth+1)
	}
}

func newSeqEncoder(open, close byte, t reflect.Type) encoderFunc {
	elem := typeEncoder(t.Elem())
	return func(dst []byte, v reflect.Value, depth int) ([]byte, error) {
		if depth >= printMaxDepth {
			return dst, tooDeep(t)
		}
		dst = append(dst, open)
		for i, n := 0, v.Len(); i < n; i++ {
			if i > 0 {
				dst = append(dst, ' ')
			}
			var err error
			if dst, err = elem(dst, v.Index(i), depth+1); err != nil {
				return dst, withIndex(err, i)
			}
		}
		return append(dst, close), nil
	}
}

// newMapEncoder prints a Go map with its entries sorted by printed key text,
// so that the same map always prints the same. Distinct Go keys that print
// alike (int(1) and int64(1) in a map[any]V) would make a duplicate key, which
// EDN readers reject: they are refused.
func newMapEncoder(t reflect.Type) encoderFunc {
	keyEnc, valEnc := typeEncoder(t.Key()), typeEncoder(t.Elem())
	type entry struct {
		start, end int
		val        reflect.Value
	}
	return func(dst []byte, v reflect.Value, depth int) ([]byte, error) {
		if depth >= printMaxDepth {
			return dst, tooDeep(t)
		}
		if v.Len() == 0 {
			return append(dst, '{', '}'), nil
		}
		var (
			keys    []byte
			entries = make([]entry, 0, v.Len())
			err     error
		)
		for it := v.MapRange(); it.Next(); {
			start := len(keys)
			if keys, err = keyEnc(keys, it.Key(), depth+1); err != nil {
				return dst, withPath(err, "{key}")
			}
			entries = append(entries, entry{start, len(keys), it.Value()})
		}
		slices.SortFunc(entries, func(a, b entry) int {
			return bytes.Compare(keys[a.start:a.end], keys[b.start:b.end])
		})
		dst = append(dst, '{')
		for i, e := range entries {
			key := keys[e.start:e.end]
			if i > 0 {
				if prev := entries[i-1]; bytes.Equal(keys[prev.start:prev.end], key) {
					return dst, unsupported(t, "two keys print as "+quoteShort(string(key)))
				}
				dst = append(dst, ',', ' ')
			}
			dst = append(dst, key...)
			dst = append(dst, ' ')
			if dst, err = valEnc(dst, e.val, depth+1); err != nil {
				return dst, withPath(err, "["+string(key)+"]")
			}
		}
		return append(dst, '}'), nil
	}
}

// structEncoder prints a struct as a map with keyword keys.
type structEncoder struct {
	t      reflect.Type
	fields []encField
	err    string // why the struct cannot print (a field name that is no keyword)
}

type encField struct {
	key       []byte // ":name"
	name      string
	index     []int
	omitEmpty bool
	enc       encoderFunc
}

func newStructEncoder(t reflect.Type) encoderFunc {
	sf := cachedFields(t)
	se := &structEncoder{t: t, err: sf.err}
	for _, f := range sf.list {
		se.fields = append(se.fields, encField{
			key:       append([]byte{':'}, f.name...),
			name:      f.name,
			index:     f.index,
			omitEmpty: f.omitEmpty,
			enc:       typeEncoder(f.typ),
		})
	}
	return se.encode
}

func (se *structEncoder) encode(dst []byte, v reflect.Value, depth int) ([]byte, error) {
	if se.err != "" {
		return dst, unsupported(se.t, se.err)
	}
	if depth >= printMaxDepth {
		return dst, tooDeep(se.t)
	}
	dst = append(dst, '{')
	first := true
	for i := range se.fields {
		f := &se.fields[i]
		fv, ok := fieldByIndex(v, f.index)
		if !ok || f.omitEmpty && isEmptyValue(fv) {
			continue
		}
		if !first {
			dst = append(dst, ',', ' ')
		}
		first = false
		dst = append(dst, f.key...)
		dst = append(dst, ' ')
		var err error
		if dst, err = f.enc(dst, fv, depth+1); err != nil {
			return dst, withPath(err, "."+f.name)
		}
	}
	return append(dst, '}'), nil
}

// fieldByIndex is v.FieldByIndex that reports false instead of panicking when
// the path goes through a nil embedded pointer.
func fieldByIndex(v reflect.Value, index []int) (reflect.Value, bool) {
	for i, x := range index {
		if i > 0 && v.Kind() == reflect.Pointer {
			if v.IsNil() {
				return reflect.Value{}, false
			}
			v = v.Elem()
		}
		v = v.Field(x)
	}
	return v, true
}

// isEmptyValue is the omitempty test of encoding/json.
func isEmptyValue(v reflect.Value) bool {
	switch v.Kind() {
	case reflect.Array, reflect.Map, reflect.Slice, reflect.String:
		return v.Len() == 0
	case reflect.Bool:
		return !v.Bool()
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return v.Int() == 0
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return v.Uint() == 0
	case reflect.Float32, reflect.Float64:
		return v.Float() == 0
	case reflect.Interface, reflect.Pointer:
		return v.IsNil()
	}
	return false
}

// structField is a struct field as printed and decoded: the map key it goes
// under and where it sits (index path through embedded structs).
type structField struct {
	name      string // keyword text without the colon: "user-id", "my.ns/k"
	index     []int
	typ       reflect.Type
	omitEmpty bool
	tagged    bool
}

// structFields is the cached field list of one struct type.
type structFields struct {
	list   []structField
	byName map[string]int // name → position in list
	err    string         // set when a field's name would not read back as a keyword
}

var fieldCache sync.Map // reflect.Type → *structFields

func cachedFields(t reflect.Type) *structFields {
	if f, ok := fieldCache.Load(t); ok {
		return f.(*structFields)
	}
	f, _ := fieldCache.LoadOrStore(t, typeFields(t))
	return f.(*structFields)
}

// isModelStruct reports the struct types of the value model and math/big,
// which an embedding struct holds as one field instead of flattening.
func isModelStruct(t reflect.Type) bool {
	switch t {
	case typeTime, typeTagged, typeEvent, typeMap, typeSet, typeBigInt, typeBigRat, typeBigFloat:
		return true
	}
	return false
}

// typeFields lists the fields of struct type t the way encoding/json does:
// exported fields and the fields of embedded structs, breadth first; among
// fields with the same name the shallowest wins, then the tagged one, and a
// tie drops them all.
func typeFields(t reflect.Type) *structFields {
	type level struct {
		typ   reflect.Type
		index []int
	}
	var (
		fields    []structField
		next      = []level{{typ: t}}
		count     map[reflect.Type]int
		nextCount = map[reflect.Type]int{}
		visited   = map[reflect.Type]bool{}
	)
	for len(next) > 0 {
		current := next
		next = nil
		count, nextCount = nextCount, map[reflect.Type]int{}
		for _, lv := range current {
			if visited[lv.typ] {
				continue
			}
			visited[lv.typ] = true
			for i := 0; i < lv.typ.NumField(); i++ {
				sf := lv.typ.Field(i)
				ft := sf.Type
				if ft.Name() == "" && ft.Kind() == reflect.Pointer {
					ft = ft.Elem()
				}
				if sf.Anonymous {
					if !sf.IsExported() && (ft.Kind() != reflect.Struct || sf.Type.Kind() == reflect.Pointer) {
						continue // unexported non-struct, or a pointer that could not be allocated
					}
				} else if !sf.IsExported() {
					continue
				}
				tag := sf.Tag.Get("edn")
				if tag == "-" {
					continue
				}
				name, opts, _ := strings.Cut(tag, ",")
				index := append(slices.Clip(lv.index), i)
				if name != "" || !sf.Anonymous || ft.Kind() != reflect.Struct || isModelStruct(ft) {
					f := structField{
						name:      name,
						index:     index,
						typ:       sf.Type,
						omitEmpty: hasOption(opts, "omitempty"),
						tagged:    name != "",
					}
					if f.name == "" {
						f.name = kebab(sf.Name)
					}
					fields = append(fields, f)
					if count[lv.typ] > 1 {
						// Two embeddings of the same type at this depth: the
						// fields annihilate each other below.
						fields = append(fields, f)
					}
					continue
				}
				nextCount[ft]++
				if nextCount[ft] == 1 {
					next = append(next, level{typ: ft, index: index})
				}
			}
		}
	}

	slices.SortStableFunc(fields, func(a, b structField) int {
		if c := strings.Compare(a.name, b.name); c != 0 {
			return c
		}
		if c := len(a.index) - len(b.index); c != 0 {
			return c
		}
		if a.tagged != b.tagged {
			if a.tagged {
				return -1
			}
			return 1
		}
		return slices.Compare(a.index, b.index)
	})
	out := fields[:0]
	for i := 0; i < len(fields); {
		j := i + 1
		for j < len(fields) && fields[j].name == fields[i].name {
			j++
		}
		group := fields[i:j]
		if len(group) == 1 || len(group[0].index) < len(group[1].index) || group[0].tagged && !group[1].tagged {
			out = append(out, group[0])
		}
		i = j
	}
	fields = out
	slices.SortFunc(fields, func(a, b structField) int { return slices.Compare(a.index, b.index) })

	sf := &structFields{list: fields, byName: make(map[string]int, len(fields))}
	for i, f := range fields {
		sf.byName[f.name] = i
		if reason := checkName(f.name, true); reason != "" && sf.err == "" {
			sf.err = "field name :" + f.name + " " + reason
		}
	}
	return sf
}

func hasOption(opts, want string) bool {
	for opts != "" {
		var o string
		o, opts, _ = strings.Cut(opts, ",")
		if o == want {
			return true
		}
	}
	return false
}

// kebab turns a Go field name into a keyword name: UserID → user-id,
// HTTPServer → http-server, Msg → msg, URLs → urls.
func kebab(s string) string {
	rs := []rune(s)
	var b strings.Builder
	b.Grow(len(s) + 4)
	for i, r := range rs {
		if !unicode.IsUpper(r) {
			b.WriteRune(r)
			continue
		}
		if i > 0 {
			prev := rs[i-1]
			if unicode.IsLower(prev) || unicode.IsDigit(prev) ||
				unicode.IsUpper(prev) && i+1 < len(rs) && unicode.IsLower(rs[i+1]) && !pluralS(rs, i+1) {
				b.WriteByte('-')
			}
		}
		b.WriteRune(unicode.ToLower(r))
	}
	return b.String()
}

// pluralS reports a lone s at i that ends a word, the plural of an acronym
// (URLs, IDs).
func pluralS(rs []rune, i int) bool {
	return rs[i] == 's' && (i+1 == len(rs) || !unicode.IsLower(rs[i+1]))
}
