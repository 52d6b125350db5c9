// Type declarations for edn.js: an EDN reader and printer (see edn.js for the
// value mapping: nil → null, keywords → Keyword, maps → Map, sets → Set, …).

/** Error thrown for text that is not readable EDN and for values that cannot be printed as EDN. */
export class EdnError extends Error {
  constructor(message: string, pos?: number);
  /** Offset in the input text, or undefined for printer errors. */
  readonly pos: number | undefined;
}

/** An EDN keyword such as `:my-app/save`. Create with kw(); instances are interned (compare with ===). */
export class Keyword {
  private constructor();
  /** Namespace, or null for a simple keyword. */
  readonly ns: string | null;
  /** Name part. */
  readonly name: string;
  /** Namespace-qualified name without the colon, e.g. "my-app/save". */
  readonly fqn: string;
  /** The EDN text, e.g. ":my-app/save". */
  toString(): string;
  toJSON(): string;
}

/** An EDN symbol such as `my.ns/foo`. Create with sym(); instances are interned. */
export class Sym {
  private constructor();
  readonly ns: string | null;
  readonly name: string;
  readonly fqn: string;
  toString(): string;
  toJSON(): string;
}

/** An EDN list `( … )`: a real Array that prints with parentheses. */
export class List<T = EdnValue> extends Array<T> {}

/** An EDN `#uuid`, holding the lower-cased canonical string. */
export class UUID {
  constructor(str: string);
  readonly str: string;
  toString(): string;
  toJSON(): string;
}

/** A tagged value `#tag value` with no reader of its own. */
export class Tagged {
  constructor(tag: string | Sym, value: EdnValue);
  readonly tag: Sym;
  value: EdnValue;
}

/** A value as parse() returns it (a tag reader of ParseOptions.tags may return anything else). */
export type EdnValue =
  | null
  | boolean
  | number
  | string
  | Keyword
  | Sym
  | UUID
  | Date
  | Tagged
  | EdnValue[]
  | List
  | Set<EdnValue>
  | Map<EdnValue, EdnValue>;

/** A value stringify() accepts: EdnValue plus plain objects (maps with keyword keys), BigInt and undefined. */
export type Printable = EdnValue | bigint | undefined | { [key: string]: Printable } | Printable[];

/** Default maximum nesting depth of collections and tagged values. */
export const DEFAULT_MAX_DEPTH: number;

/** The interned keyword for "ns/name", ":ns/name" or "name", or namespace and name as two arguments. */
export function kw(nameOrNs: string | Keyword, name?: string): Keyword;
/** The interned symbol for "ns/name" or "name". */
export function sym(nameOrNs: string | Sym, name?: string): Sym;
/** A List (prints as `( … )`). */
export function list<T = EdnValue>(...items: T[]): List<T>;
/** A UUID value (prints as `#uuid "…"`). */
export function uuid(str: string): UUID;

export interface ParseOptions {
  /** Maximum nesting of collections and tagged values (default 512). */
  maxDepth?: number;
  /** Reader functions for extra tags, keyed by tag name without '#'. */
  tags?: Record<string, (value: EdnValue) => unknown>;
}

/** Reads one EDN form; throws EdnError on malformed input. */
export function parse(text: string, opts?: ParseOptions): EdnValue;
/** Prints a value as EDN text, as ClojureScript's pr-str would. */
export function stringify(value: Printable, opts?: { maxDepth?: number }): string;
/** EDN value equality, as Clojure's `=` sees it. */
export function equals(a: unknown, b: unknown): boolean;
/** Converts an EDN value to plain JSON-like JavaScript (lossy): Maps become objects, keywords strings. */
export function toJS(v: unknown): any;
