package wire

import (
	"fmt"
	"testing"
)

func TestZZSmoke(t *testing.T) {
	for _, s := range []string{
		`[[:app/chat {:msg "hello" :room 12 :ts 1700000000000}] nil]`,
		`1.`, `1.e5`, `1.5E-7`, `1e+21`, `-0.0`, `0x1F`, `-0x1FN`, `017`, `09`, `2r1010`, `36rZZ`, `2r101N`, `4/2`, `-22/7`, `1/0`, `1.50M`, `+1.e5M`, `3M`, `99999999999999999999`, `-9223372036854775808`, `9223372036854775808`, `1N`,
		`"a\tb\u00e9\ud83d\ude00\101\7 x"`, `"\ud800"`, "\"h\xc3\xa9\"", "\"\xff\"",
		`\a`, `\newline`, `\u00e9`, `\o101`, "\\\x00", `\é`, `\ `, `\(`, `\ud800`,
		`:a/b`, `:a/b/c`, `::x`, `:1`, `:a/1`, `foo`, `my.ns/foo`, `/`, `+`, `-`, `a//`, `'x`, `@x`,
		`#:user{:a 1 :_/b 2 c 3 :x/d 4}`, `#{1 2 1}`, `{:a 1 :a 2}`, `{:a}`, `#_ 1 2`, `[1 #_ 2]`, `#inst "2023-11-14T22:13:20.123-00:00"`, `#inst "2020"`, `#inst "2020-05:00"`,
		`#uuid "66D96AB4-9834-40db-a3cd-42b361503ab9"`, `#uuid "x"`, `#my/tag 1`, `#object[a 1]`, `#"a"`, `##Inf`, `##-Inf`, `##NaN`, `##foo`,
		`1 2`, ` `, ``, `[1 2] ; c`, `#! shebang` + "\n" + `42`, `nil`, "\x00",
	} {
		v, err := Read([]byte(s), nil)
		fmt.Printf("%-40q => %T %#v  err=%v\n", s, v, v, err)
	}
}
