// edn.js: a small EDN reader and printer for talking to Sente servers from
// plain JavaScript. Dependency-free ES module, no build step.
//
// It reads what a Clojure (or gosente) server prints and prints what a
// ClojureScript client would print (`pr-str`), so a server cannot tell this
// client from a ClojureScript one.
//
// ## JavaScript representation
//
// | EDN                         | JavaScript                                         |
// |-----------------------------|----------------------------------------------------|
// | nil                         | null (undefined also prints as nil)                |
// | true, false                 | boolean                                            |
// | 42, 42N, 1.5, 1.5M, 1/3     | number (see "Numbers" below)                       |
// | ##NaN ##Inf ##-Inf          | NaN, Infinity, -Infinity                           |
// | "text"                      | string                                             |
// | \a \newline \u00e9          | 1-character string (ClojureScript has no chars)    |
// | :ns/name                    | Keyword, interned: kw('ns/name') === kw('ns/name') |
// | ns/name                     | Sym, interned like keywords: sym('ns/name')        |
// | [1 2]                       | Array                                              |
// | (1 2)                       | List (a subclass of Array; prints with parens)     |
// | {:a 1}, #:ns{:a 1}          | Map (insertion order kept)                         |
// | #{1 2}                      | Set                                                |
// | #inst "…"                   | Date (millisecond precision)                       |
// | #uuid "…"                   | UUID (lower-cased string wrapper)                  |
// | #my/tag x (with a reader)   | whatever the reader function in opts.tags returns  |
//
// Printing also accepts plain objects, printed as maps with KEYWORD keys
// (`{msg: "hi"}` prints `{:msg "hi"}`, `{"my-app/k": 1}` prints `{:my-app/k 1}`),
// BigInt (printed as plain digits) and Tagged values (printed `#tag value`).
// Anything else (functions, class instances, typed arrays, …) is refused
// with an EdnError rather than sent as something the server cannot read.
//
// Map and Set keys: JS Map/Set compare keys by identity (SameValueZero). That
// is value equality for strings, numbers, booleans, null and the interned
// Keyword and Sym, which covers what Sente apps use as keys. Composite keys
// (vectors, maps, dates, …) are kept, but `map.get([1 2])` cannot find them by
// value; iterate the map or use equals(). Duplicate keys and set elements are
// still rejected by value when reading, as Clojure's reader does.
//
// ## Numbers
//
// Like ClojureScript, every number is a JS number: `42N` and `1.5M` read as 42
// and 1.5, ratios are divided (`1/3` → 0.3333333333333333), hex, octal and
// radix integers (`0x1F`, `017`, `2r101`) are converted. Integers beyond 2^53
// lose precision exactly as in a ClojureScript client
// (`9007199254740993` → 9007199254740992); send such ids as strings.
// Printing follows ClojureScript: integral numbers have no decimal point
// (1.0 prints `1`, -0 prints `0`, 1e21 prints `1e+21`), others use the
// shortest JavaScript representation (`1.5e-7`); NaN/±Infinity print
// `##NaN` `##Inf` `##-Inf`. A Clojure server therefore sees a whole-valued
// float sent from JS as an integer.
//
// ## Strings
//
// Printing escapes `"` `\` newline, tab, return, backspace and formfeed (the
// same set as Clojure and ClojureScript); every other character is emitted
// raw. Reading accepts those escapes plus `\uXXXX` and octal `\ooo`.
//
// ## Reader behaviour (matches clojure.tools.reader.edn)
//
// parse() reads ONE form, skipping leading whitespace, commas, `;` and `#!`
// comments and `#_` discards, and ignores whatever follows the form. It throws
// EdnError on malformed input: unbalanced delimiters, odd map literals,
// duplicate map keys / set elements, unknown tags, regexes, `#object[…]`,
// invalid numbers, symbols or keywords (`:a/b/c`, `::auto`), and nesting deeper
// than opts.maxDepth (default 512), so hostile input cannot overflow the stack.
//
// Usage:
//
//   import { parse, stringify, kw } from './edn.js';
//   const v = parse('{:count 3, :by "alice"}');
//   v.get(kw('count'));                        // 3
//   stringify([kw('counter/inc'), {by: 1}]);   // '[:counter/inc {:by 1}]'

/** Error thrown for text that is not readable EDN and for values that cannot be printed as EDN. */
export class EdnError extends Error {
  /**
   * @param {string} message what went wrong
   * @param {number} [pos] offset in the input text where reading failed (reader errors only)
   */
  constructor(message, pos) {
    super(pos === undefined ? message : `${message} (at offset ${pos})`);
    this.name = 'EdnError';
    /** Offset in the input text, or undefined for printer errors. */
    this.pos = pos;
  }
}

// ---------------------------------------------------------------------------
// Value types

const INTERN = Symbol('edn.intern');

/**
 * Builds an intern table whose entries disappear once nobody holds the value,
 * so reading many distinct keywords does not leak memory while identity
 * (`===`) still works for every value somebody can compare.
 */
function internTable(make) {
  const table = new Map();
  const registry = typeof FinalizationRegistry === 'function'
    ? new FinalizationRegistry((key) => {
      const ref = table.get(key);
      if (ref && ref.deref() === undefined) table.delete(key);
    })
    : null;
  return (key, ns, name) => {
    const ref = table.get(key);
    let v = ref && (registry ? ref.deref() : ref);
    if (v === undefined) {
      v = make(ns, name);
      if (registry) {
        table.set(key, new WeakRef(v));
        registry.register(v, key);
      } else {
        table.set(key, v);
      }
    }
    return v;
  };
}

/** An EDN keyword such as `:my-app/save`. Create with kw(); instances are interned. */
export class Keyword {
  /** @private use kw() */
  constructor(token, ns, name) {
    if (token !== INTERN) throw new TypeError('use kw() to create keywords');
    /** Namespace, or null for a simple keyword. @type {string|null} */
    this.ns = ns;
    /** Name part. @type {string} */
    this.name = name;
    /** Namespace-qualified name without the colon, e.g. "my-app/save". @type {string} */
    this.fqn = ns === null ? name : `${ns}/${name}`;
    Object.freeze(this);
  }

  /** @returns {string} the EDN text, e.g. ":my-app/save" */
  toString() { return `:${this.fqn}`; }

  /** JSON.stringify gives the name without the colon. */
  toJSON() { return this.fqn; }
}

/** An EDN symbol such as `my.ns/foo`. Create with sym(); instances are interned. */
export class Sym {
  /** @private use sym() */
  constructor(token, ns, name) {
    if (token !== INTERN) throw new TypeError('use sym() to create symbols');
    /** @type {string|null} */
    this.ns = ns;
    /** @type {string} */
    this.name = name;
    /** @type {string} */
    this.fqn = ns === null ? name : `${ns}/${name}`;
    Object.freeze(this);
  }

  /** @returns {string} the EDN text */
  toString() { return this.fqn; }

  toJSON() { return this.fqn; }
}

/**
 * An EDN list `( … )`. A real Array (Array.isArray is true, indexing works);
 * only printing differs from a vector. Array methods that build new arrays
 * (map, filter, slice, …) return plain Arrays, i.e. vectors.
 */
export class List extends Array {
  static get [Symbol.species]() { return Array; }
}

/** An EDN `#uuid`. Holds the lower-cased canonical string. */
export class UUID {
  /** @param {string} str canonical 8-4-4-4-12 hex form, any case */
  constructor(str) {
    if (typeof str !== 'string' || !UUID_RE.test(str)) throw new EdnError(`Invalid UUID: ${String(str)}`);
    /** @type {string} */
    this.str = str.toLowerCase();
    Object.freeze(this);
  }

  toString() { return this.str; }

  toJSON() { return this.str; }
}

/** A tagged value `#tag value` with no reader of its own; used for printing app-specific tags. */
export class Tagged {
  /**
   * @param {string|Sym} tag e.g. "my.app/Point"
   * @param {*} value the printable value that follows the tag
   */
  constructor(tag, value) {
    /** @type {Sym} */
    this.tag = tag instanceof Sym ? tag : sym(tag);
    this.value = value;
  }
}

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

const internKeyword = internTable((ns, name) => new Keyword(INTERN, ns, name));
const internSym = internTable((ns, name) => new Sym(INTERN, ns, name));

/**
 * Splits a symbol/keyword token into [ns, name] following tools.reader's
 * parse-symbol, or returns null when the token is not a valid name
 * (e.g. "a/b/c", "a/", "/a", "a:", "::a").
 */
function splitName(token) {
  if (token === '' || token.endsWith(':') || token.startsWith('::')) return null;
  const i = token.indexOf('/');
  if (i > 0) {
    const ns = token.slice(0, i);
    const name = token.slice(i + 1);
    if (name === '' || isDigit(name.charCodeAt(0)) || ns.endsWith(':')) return null;
    if (name !== '/' && name.includes('/')) return null;
    return [ns, name];
  }
  if (token !== '/' && token.includes('/')) return null;
  return [null, token];
}

/** True when every character could appear inside a token read back by the reader. */
function isTokenText(s) {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (isWhitespace(c) || isTerminating(c)) return false;
  }
  return true;
}

/**
 * Returns the interned keyword. Accepts "ns/name", "name", a leading colon
 * (":ns/name"), or namespace and name as two arguments.
 * Throws EdnError for names that would not read back (spaces, "a/b/c", …).
 *
 * @param {string} nameOrNs "my-app/save", ":my-app/save", "save", or the namespace when name is given
 * @param {string} [name] the name part when the first argument is the namespace
 * @returns {Keyword}
 */
export function kw(nameOrNs, name) {
  if (nameOrNs instanceof Keyword) return nameOrNs;
  let text = name === undefined ? String(nameOrNs) : `${nameOrNs}/${name}`;
  if (text.startsWith(':') && !text.startsWith('::')) text = text.slice(1);
  const parts = isTokenText(text) ? splitName(text) : null;
  if (parts === null) throw new EdnError(`Invalid keyword: :${text}`);
  return internKeyword(text, parts[0], parts[1]);
}

/**
 * Returns the interned symbol for "ns/name" or "name" (or namespace and name as two arguments).
 * Throws EdnError for names that would not read back as a symbol.
 *
 * @param {string} nameOrNs
 * @param {string} [name]
 * @returns {Sym}
 */
export function sym(nameOrNs, name) {
  if (nameOrNs instanceof Sym) return nameOrNs;
  const text = name === undefined ? String(nameOrNs) : `${nameOrNs}/${name}`;
  const c0 = text.charCodeAt(0);
  const parts = isTokenText(text) && !isDigit(c0) && c0 !== 0x3a /* : */ && c0 !== 0x23 /* # */
    && !((c0 === 0x2b || c0 === 0x2d) && isDigit(text.charCodeAt(1)))
    && text !== 'nil' && text !== 'true' && text !== 'false'
    ? splitName(text) : null;
  if (parts === null) throw new EdnError(`Invalid symbol: ${text}`);
  return internSym(text, parts[0], parts[1]);
}

/**
 * Creates a List (prints as `( … )`).
 * @param {...*} items
 * @returns {List}
 */
export function list(...items) {
  const l = new List();
  l.push(...items);
  return l;
}

/**
 * Creates a UUID value (prints as `#uuid "…"`).
 * @param {string} str canonical UUID text
 * @returns {UUID}
 */
export function uuid(str) {
  return new UUID(str);
}

// ---------------------------------------------------------------------------
// Character classes

function isDigit(c) { return c >= 0x30 && c <= 0x39; }

/** Java's Character.isWhitespace plus the comma, as Clojure's reader uses it. */
function isWhitespace(c) {
  return c === 0x20 || c === 0x2c || (c >= 0x09 && c <= 0x0d) || (c >= 0x1c && c <= 0x1f)
    || c === 0x1680 || (c >= 0x2000 && c <= 0x2006) || (c >= 0x2008 && c <= 0x200a)
    || c === 0x2028 || c === 0x2029 || c === 0x205f || c === 0x3000;
}

// " ; @ ^ ` ~ ( ) [ ] { } \  end a token.
const TERMINATING = new Set([0x22, 0x3b, 0x40, 0x5e, 0x60, 0x7e, 0x28, 0x29, 0x5b, 0x5d, 0x7b, 0x7d, 0x5c]);
function isTerminating(c) { return TERMINATING.has(c); }

// ---------------------------------------------------------------------------
// Reader

const INT_RE = /^([-+]?)(?:(0)|([1-9][0-9]*)|0[xX]([0-9A-Fa-f]+)|0([0-7]+)|([1-9][0-9]?)[rR]([0-9A-Za-z]+)|0[0-9]+)(N)?$/;
const RATIO_RE = /^([-+]?[0-9]+)\/([0-9]+)$/;
const FLOAT_RE = /^[-+]?[0-9]+(\.[0-9]*)?([eE][-+]?[0-9]+)?M?$/;
const INST_RE = /^(\d{4})(?:-(\d\d)(?:-(\d\d)(?:T(\d\d)(?::(\d\d)(?::(\d\d)(?:\.(\d+))?)?)?)?)?)?(?:Z|([-+])(\d\d):(\d\d))?$/;

const CHAR_NAMES = {
  newline: '\n', space: ' ', tab: '\t', backspace: '\b', formfeed: '\f', return: '\r',
};
const STRING_ESCAPES = {
  t: '\t', r: '\r', n: '\n', '\\': '\\', '"': '"', b: '\b', f: '\f',
};

const END = Symbol('edn.end');

/** Default maximum nesting depth of collections and tagged values. */
export const DEFAULT_MAX_DEPTH = 512;

class Reader {
  constructor(text, opts) {
    this.s = text;
    this.i = 0;
    this.depth = 0;
    this.maxDepth = opts.maxDepth ?? DEFAULT_MAX_DEPTH;
    this.tags = opts.tags ?? {};
  }

  fail(msg, pos = this.i) { throw new EdnError(msg, pos); }

  enter() {
    if (++this.depth > this.maxDepth) this.fail(`Nesting deeper than ${this.maxDepth}`);
  }

  leave() { this.depth--; }

  /** Skips whitespace, commas, comments and `#_` discarded forms. */
  skip() {
    const s = this.s;
    for (;;) {
      const c = s.charCodeAt(this.i);
      if (isWhitespace(c)) {
        this.i++;
      } else if (c === 0x3b /* ; */ || (c === 0x23 && s.charCodeAt(this.i + 1) === 0x21 /* #! */)) {
        while (this.i < s.length && s[this.i] !== '\n' && s[this.i] !== '\r') this.i++;
      } else if (c === 0x23 && s.charCodeAt(this.i + 1) === 0x5f /* #_ */) {
        this.i += 2;
        this.enter();
        this.readForm();
        this.leave();
      } else {
        return;
      }
    }
  }

  readToken() {
    const start = this.i;
    const s = this.s;
    while (this.i < s.length) {
      const c = s.charCodeAt(this.i);
      if (isWhitespace(c) || isTerminating(c)) break;
      this.i++;
    }
    return s.slice(start, this.i);
  }

  /** Reads one form; throws on EOF. */
  readForm() {
    this.skip();
    if (this.i >= this.s.length) this.fail('Unexpected EOF');
    const start = this.i;
    const c = this.s[this.i];
    switch (c) {
      case '"': return this.readString();
      case ':': return this.readKeyword();
      case '\\': return this.readChar();
      case '[': this.i++; return this.readSeq(']', []);
      case '(': this.i++; return this.readSeq(')', new List());
      case '{': this.i++; return this.readMap(null, start);
      case ']': case ')': case '}': return this.fail(`Unmatched delimiter ${c}`);
      case '#': return this.readDispatch();
      case '^': case '@': case '`': case '~':
        return this.fail(`Unsupported reader macro ${c}`);
      default: return this.readAtom();
    }
  }

  /** Reads items until `close`, returning END for the closing delimiter. */
  readItem(close, what, start) {
    this.skip();
    if (this.i >= this.s.length) this.fail(`Unexpected EOF while reading ${what}`, start);
    if (this.s[this.i] === close) {
      this.i++;
      return END;
    }
    return this.readForm();
  }

  readSeq(close, out) {
    const start = this.i - 1;
    this.enter();
    for (;;) {
      const v = this.readItem(close, close === ']' ? 'vector' : 'list', start);
      if (v === END) break;
      out.push(v);
    }
    this.leave();
    return out;
  }

  readMap(ns, start) {
    this.enter();
    const forms = [];
    for (;;) {
      const v = this.readItem('}', 'map', start);
      if (v === END) break;
      forms.push(v);
    }
    this.leave();
    if (forms.length % 2 !== 0) this.fail('Map literal must contain an even number of forms', start);
    const m = new Map();
    const seen = new Set();
    for (let k = 0; k < forms.length; k += 2) {
      let key = forms[k];
      if (ns !== null) key = qualify(key, ns);
      if (isDuplicate(m, seen, key)) this.fail(`Duplicate key: ${safeStringify(key)}`, start);
      m.set(key, forms[k + 1]);
    }
    return m;
  }

  readSet(start) {
    this.enter();
    const out = new Set();
    const seen = new Set();
    for (;;) {
      const v = this.readItem('}', 'set', start);
      if (v === END) break;
      if (isDuplicate(out, seen, v)) this.fail(`Duplicate key: ${safeStringify(v)}`, start);
      out.add(v);
    }
    this.leave();
    return out;
  }

  readString() {
    const start = this.i;
    const s = this.s;
    let out = '';
    let from = ++this.i;
    for (;;) {
      if (this.i >= s.length) this.fail('Unexpected EOF reading string', start);
      const c = s[this.i];
      if (c === '"') {
        out += s.slice(from, this.i++);
        return out;
      }
      if (c !== '\\') {
        this.i++;
        continue;
      }
      out += s.slice(from, this.i);
      const e = s[this.i + 1];
      if (e === undefined) this.fail('Unexpected EOF reading string', start);
      if (STRING_ESCAPES[e] !== undefined) {
        out += STRING_ESCAPES[e];
        this.i += 2;
      } else if (e === 'u') {
        const hex = s.slice(this.i + 2, this.i + 6);
        if (!/^[0-9a-fA-F]{4}$/.test(hex)) this.fail('Invalid unicode escape in string');
        out += String.fromCharCode(parseInt(hex, 16));
        this.i += 6;
      } else if (e >= '0' && e <= '7') {
        const m = /^[0-7]{1,3}/.exec(s.slice(this.i + 1, this.i + 4));
        const code = parseInt(m[0], 8);
        if (code > 0o377) this.fail('Octal escape sequence must be in range [0, 377]');
        out += String.fromCharCode(code);
        this.i += 1 + m[0].length;
      } else {
        this.fail(`Unsupported escape character: \\${e}`);
      }
      from = this.i;
    }
  }

  readKeyword() {
    const start = this.i++;
    const token = this.readToken();
    const parts = token.startsWith(':') ? null : splitName(token);
    if (parts === null) this.fail(`Invalid keyword: :${token}`, start);
    return internKeyword(token, parts[0], parts[1]);
  }

  readChar() {
    const start = this.i++;
    if (this.i >= this.s.length) this.fail('Unexpected EOF reading character', start);
    const cp = this.s.codePointAt(this.i);
    const first = String.fromCodePoint(cp);
    this.i += first.length;
    let token = first;
    if (!isWhitespace(cp) && !isTerminating(cp)) token += this.readToken();
    if (token === first) return first;
    if (CHAR_NAMES[token] !== undefined) return CHAR_NAMES[token];
    if (token[0] === 'u' && /^u[0-9a-fA-F]{4}$/.test(token)) {
      const code = parseInt(token.slice(1), 16);
      if (code >= 0xd800 && code <= 0xdfff) this.fail(`Invalid character constant: \\${token}`, start);
      return String.fromCharCode(code);
    }
    if (token[0] === 'o' && /^o[0-7]{1,3}$/.test(token)) {
      const code = parseInt(token.slice(1), 8);
      if (code > 0o377) this.fail('Octal escape sequence must be in range [0, 377]', start);
      return String.fromCharCode(code);
    }
    return this.fail(`Unsupported character: \\${token}`, start);
  }

  readDispatch() {
    const start = this.i;
    const c = this.s[this.i + 1];
    if (c === undefined) this.fail('Unexpected EOF after #');
    if (c === '{') {
      this.i += 2;
      return this.readSet(start);
    }
    if (c === '#') {
      this.i += 2;
      const token = this.readToken();
      if (token === 'NaN') return NaN;
      if (token === 'Inf') return Infinity;
      if (token === '-Inf') return -Infinity;
      return this.fail(`Invalid token: ##${token}`, start);
    }
    if (c === ':') {
      this.i += 2;
      const ns = this.readToken();
      if (ns === '' || ns.startsWith(':') || splitName(ns) === null || ns.includes('/')) {
        this.fail(`Invalid namespaced map prefix: #:${ns}`, start);
      }
      this.skip();
      if (this.s[this.i] !== '{') this.fail('Namespaced map must specify a map', start);
      this.i++;
      return this.readMap(ns, start);
    }
    if (isWhitespace(c.charCodeAt(0)) || isTerminating(c.charCodeAt(0)) || '\'=?%<'.includes(c)) {
      return this.fail(`No dispatch macro for #${c}`, start);
    }
    this.i++;
    const tagText = this.readToken();
    const parts = splitName(tagText);
    if (parts === null || isDigit(tagText.charCodeAt(0))) this.fail(`Invalid tag: #${tagText}`, start);
    this.enter();
    const value = this.readForm();
    this.leave();
    return this.applyTag(tagText, value, start);
  }

  applyTag(tag, value, start) {
    const own = Object.prototype.hasOwnProperty.call(this.tags, tag) ? this.tags[tag] : undefined;
    if (typeof own === 'function') {
      try {
        return own(value);
      } catch (e) {
        return this.fail(`Tag reader #${tag} failed: ${e && e.message}`, start);
      }
    }
    if (tag === 'inst') {
      if (typeof value !== 'string') this.fail('#inst requires a string', start);
      const d = parseInst(value);
      if (d === null) this.fail(`Invalid #inst: ${value}`, start);
      return d;
    }
    if (tag === 'uuid') {
      if (typeof value !== 'string' || !UUID_RE.test(value)) this.fail(`Invalid #uuid: ${safeStringify(value)}`, start);
      return new UUID(value);
    }
    return this.fail(`No reader function for tag ${tag}`, start);
  }

  readAtom() {
    const start = this.i;
    const token = this.readToken();
    if (token === 'nil') return null;
    if (token === 'true') return true;
    if (token === 'false') return false;
    const c0 = token.charCodeAt(0);
    if (isDigit(c0) || ((c0 === 0x2b || c0 === 0x2d) && isDigit(token.charCodeAt(1)))) {
      const n = parseNumber(token);
      if (n === null) this.fail(`Invalid number: ${token}`, start);
      return n;
    }
    const parts = splitName(token);
    if (parts === null) this.fail(`Invalid symbol: ${token}`, start);
    return internSym(token, parts[0], parts[1]);
  }
}

/** Applies a `#:ns{}` namespace to a key (`:_/k` means "no namespace"). */
function qualify(key, ns) {
  if (key instanceof Keyword) {
    if (key.ns === null) return kw(ns, key.name);
    if (key.ns === '_') return kw(key.name);
  } else if (key instanceof Sym) {
    if (key.ns === null) return sym(ns, key.name);
    if (key.ns === '_') return sym(key.name);
  }
  return key;
}

function isComposite(v) {
  return v !== null && typeof v === 'object' && !(v instanceof Keyword) && !(v instanceof Sym);
}

/** Value-based duplicate check: identity for primitives and interned values, canonical text for the rest. */
function isDuplicate(coll, seenComposite, v) {
  if (!isComposite(v)) return coll.has(v);
  const c = canon(v);
  if (seenComposite.has(c)) return true;
  seenComposite.add(c);
  return false;
}

function parseNumber(token) {
  let m = INT_RE.exec(token);
  if (m) {
    const neg = m[1] === '-';
    let n;
    if (m[2] !== undefined) n = 0;
    else if (m[3] !== undefined) n = Number(m[3]);
    else if (m[4] !== undefined) n = Number(BigInt(`0x${m[4]}`));
    else if (m[5] !== undefined) n = Number(BigInt(`0o${m[5]}`));
    else if (m[6] !== undefined) n = parseRadix(m[7], Number(m[6]));
    else return null; // 0[0-9]+ : invalid octal such as 08
    if (n === null) return null;
    return neg && n !== 0 ? -n : n;
  }
  m = RATIO_RE.exec(token);
  if (m) {
    const den = Number(m[2]);
    if (den === 0) return null;
    return Number(m[1]) / den;
  }
  if (FLOAT_RE.test(token)) return Number(token.endsWith('M') ? token.slice(0, -1) : token);
  return null;
}

function parseRadix(digits, radix) {
  if (radix < 2 || radix > 36) return null;
  let n = 0n;
  const r = BigInt(radix);
  for (const ch of digits.toLowerCase()) {
    const d = parseInt(ch, 36);
    if (!(d < radix)) return null;
    n = n * r + BigInt(d);
  }
  return Number(n);
}

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/** Parses an RFC 3339 `#inst` string the way cljs.reader does; null when invalid. */
function parseInst(s) {
  const m = INST_RE.exec(s);
  if (!m) return null;
  const num = (x, dflt) => (x === undefined ? dflt : Number(x));
  const year = num(m[1]);
  const month = num(m[2], 1);
  const day = num(m[3], 1);
  const hour = num(m[4], 0);
  const minute = num(m[5], 0);
  const second = num(m[6], 0);
  const ms = m[7] === undefined ? 0 : Number(m[7].slice(0, 3).padEnd(3, '0'));
  const sign = m[8] === '-' ? -1 : 1;
  const offH = num(m[9], 0);
  const offM = num(m[10], 0);
  const leap = (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
  const maxDay = month === 2 && leap ? 29 : DAYS_IN_MONTH[month - 1];
  if (month < 1 || month > 12 || day < 1 || day > maxDay || hour > 23 || minute > 59
    || second > (minute === 59 ? 60 : 59) || offH > 23 || offM > 59) return null;
  const d = new Date(0);
  d.setUTCFullYear(year, month - 1, day);
  d.setUTCHours(hour, minute, second, ms);
  return new Date(d.getTime() - sign * (offH * 60 + offM) * 60000);
}

/**
 * Reads one EDN form from text. Trailing text after the form is ignored,
 * as Clojure's reader does.
 *
 * @param {string} text EDN text
 * @param {object} [opts]
 * @param {number} [opts.maxDepth=512] maximum nesting of collections and tagged values
 * @param {Object<string, function(*): *>} [opts.tags] reader functions for extra tags,
 *   keyed by tag name without '#', e.g. `{'my.app/Point': ([x, y]) => ({x, y})}`.
 *   `inst` and `uuid` are built in (and may be overridden).
 * @returns {*} the value (see the mapping table at the top of this file)
 * @throws {EdnError} when text is not one readable EDN form (whitespace-only text included)
 */
export function parse(text, opts = {}) {
  if (typeof text !== 'string') throw new TypeError('edn.parse expects a string');
  const r = new Reader(text, opts);
  return r.readForm();
}

// ---------------------------------------------------------------------------
// Printer

function escapeString(s) {
  return s.replace(/["\\\n\t\r\b\f]/g, (c) => {
    switch (c) {
      case '\n': return '\\n';
      case '\t': return '\\t';
      case '\r': return '\\r';
      case '\b': return '\\b';
      case '\f': return '\\f';
      default: return `\\${c}`;
    }
  });
}

function printNumber(n) {
  if (Number.isNaN(n)) return '##NaN';
  if (n === Infinity) return '##Inf';
  if (n === -Infinity) return '##-Inf';
  return String(n); // integral → no '.', -0 → "0", 1e21 → "1e+21", like ClojureScript
}

function printInst(d) {
  const t = d.getTime();
  if (Number.isNaN(t)) throw new EdnError('Cannot print an invalid Date');
  return `#inst "${d.toISOString().replace(/Z$/, '-00:00')}"`;
}

function isPlainObject(v) {
  const p = Object.getPrototypeOf(v);
  return p === Object.prototype || p === null;
}

function printValue(v, depth, maxDepth) {
  if (v === null || v === undefined) return 'nil';
  switch (typeof v) {
    case 'boolean': return v ? 'true' : 'false';
    case 'number': return printNumber(v);
    case 'bigint': return v.toString();
    case 'string': return `"${escapeString(v)}"`;
    case 'object': break;
    default: throw new EdnError(`Cannot print a ${typeof v} as EDN`);
  }
  if (v instanceof Keyword) return `:${v.fqn}`;
  if (v instanceof Sym) return v.fqn;
  if (v instanceof UUID) return `#uuid "${v.str}"`;
  if (v instanceof Date) return printInst(v);
  if (depth >= maxDepth) throw new EdnError(`Nesting deeper than ${maxDepth} (cyclic value?)`);
  const d = depth + 1;
  const each = (items, sep) => {
    const parts = [];
    for (const x of items) parts.push(printValue(x, d, maxDepth));
    return parts.join(sep);
  };
  if (v instanceof Tagged) return `#${v.tag.fqn} ${printValue(v.value, d, maxDepth)}`;
  if (v instanceof List) return `(${each(v, ' ')})`;
  if (Array.isArray(v)) return `[${each(v, ' ')}]`;
  if (v instanceof Set) return `#{${each(v, ' ')}}`;
  const entries = [];
  if (v instanceof Map) {
    for (const [k, x] of v) entries.push(`${printValue(k, d, maxDepth)} ${printValue(x, d, maxDepth)}`);
  } else if (isPlainObject(v)) {
    for (const k of Object.keys(v)) entries.push(`:${kw(k).fqn} ${printValue(v[k], d, maxDepth)}`);
  } else {
    const name = v.constructor && v.constructor.name ? v.constructor.name : 'object';
    throw new EdnError(`Cannot print a ${name} as EDN`);
  }
  return `{${entries.join(', ')}}`;
}

/**
 * Prints a value as EDN text, byte for byte as ClojureScript's `pr-str`
 * prints the equivalent value (map and set order aside: JS keeps insertion
 * order, ClojureScript uses hash order for sets and maps over 8 entries).
 *
 * @param {*} value see the mapping table at the top of this file; plain
 *   objects print as maps with keyword keys
 * @param {object} [opts]
 * @param {number} [opts.maxDepth=512] maximum nesting (also stops cycles)
 * @returns {string}
 * @throws {EdnError} for values with no EDN form (functions, class instances,
 *   invalid Dates, object keys that are not valid keyword names, …)
 */
export function stringify(value, opts = {}) {
  return printValue(value, 0, opts.maxDepth ?? DEFAULT_MAX_DEPTH);
}

function safeStringify(v) {
  try {
    return stringify(v);
  } catch {
    return String(v);
  }
}

// ---------------------------------------------------------------------------
// Equality and conversion helpers

/**
 * A canonical text for a value: equal EDN values (vectors equal to lists with
 * the same items, maps and sets regardless of order) give the same text.
 */
function canon(v) {
  if (v === null || v === undefined) return 'nil';
  switch (typeof v) {
    case 'number': return Object.is(v, -0) ? '0' : printNumber(v);
    case 'bigint': return v.toString();
    case 'string': return JSON.stringify(v);
    case 'boolean': return String(v);
    default: break;
  }
  if (v instanceof Keyword) return `:${v.fqn}`;
  if (v instanceof Sym) return `'${v.fqn}`;
  if (v instanceof UUID) return `#uuid ${v.str}`;
  if (v instanceof Date) return `#inst ${v.getTime()}`;
  if (v instanceof Tagged) return `#${v.tag.fqn} ${canon(v.value)}`;
  if (Array.isArray(v)) return `[${v.map(canon).join(' ')}]`;
  if (v instanceof Set) return `#{${[...v].map(canon).sort().join(' ')}}`;
  if (v instanceof Map) return `{${[...v].map(([k, x]) => `${canon(k)} ${canon(x)}`).sort().join(',')}}`;
  if (isPlainObject(v)) {
    return `{${Object.keys(v).map((k) => `:${k} ${canon(v[k])}`).sort().join(',')}}`;
  }
  return `#object ${String(v)}`;
}

/**
 * EDN value equality, as Clojure's `=` sees it: vectors and lists with equal
 * items are equal, maps and sets are compared regardless of order, Dates by
 * time, plain objects like maps with keyword keys. NaN equals NaN here.
 *
 * @param {*} a
 * @param {*} b
 * @returns {boolean}
 */
export function equals(a, b) {
  return a === b || canon(a) === canon(b);
}

/**
 * Converts an EDN value to plain JSON-like JavaScript for convenience (lossy):
 * Maps become objects (keyword keys become "ns/name" or "name", other keys
 * their EDN text), Sets and Lists become arrays, Keywords and Syms become
 * their name strings, UUIDs strings. Dates, numbers and strings are kept.
 *
 * @param {*} v
 * @returns {*}
 */
export function toJS(v) {
  if (v === null || v === undefined || typeof v !== 'object') return v;
  if (v instanceof Keyword || v instanceof Sym) return v.fqn;
  if (v instanceof UUID) return v.str;
  if (v instanceof Date) return v;
  if (v instanceof Tagged) return toJS(v.value);
  if (Array.isArray(v) || v instanceof Set) return Array.from(v, toJS);
  if (v instanceof Map) {
    const o = {};
    for (const [k, x] of v) {
      const key = typeof k === 'string' ? k : (k instanceof Keyword || k instanceof Sym ? k.fqn : safeStringify(k));
      setOwn(o, key, toJS(x));
    }
    return o;
  }
  if (isPlainObject(v)) {
    const o = {};
    for (const k of Object.keys(v)) setOwn(o, k, toJS(v[k]));
    return o;
  }
  return v;
}

/** Defines an own property, so a key such as "__proto__" cannot change the object's prototype. */
function setOwn(o, key, value) {
  Object.defineProperty(o, key, { value, enumerable: true, writable: true, configurable: true });
}
