// sente.js: a dependency-free Sente client for browsers (ES module, no build step).
//
// Speaks the wire protocol of Sente (https://github.com/taoensso/sente) with
// the EDN packer, as a v1.21+ ("HEAD") ClojureScript client does, so any
// Sente server (Clojure or gosente) accepts it. It reads every envelope a
// server may write (v1.17 `+[…]`, ≤1.16 `-…`, and unprefixed) and writes the
// unprefixed `[payload cb-or-nil]` form that every server from 1.17 on reads.
//
//   <div id="sente-csrf-token" data-csrf-token="…"></div>
//   <script type="module">
//     import { connect, kw } from './sente.js';
//     const chsk = connect('/chsk', {
//       onHandshake: ({ uid }) => console.log('hello', uid),
//       onEvent: ([id, data]) => { if (id === kw('counter/changed')) render(data); },
//     });
//     chsk.send(['counter/inc', { by: 1 }]);              // fire and forget
//     const n = await chsk.request(['counter/get'], 5000);  // reply, or throws SenteError
//   </script>
//
// Events are arrays `[id]` or `[id, data]`; `id` is a namespace-qualified
// keyword (kw('counter/inc')) or the same name as a string ('counter/inc').
// Data is anything edn.js can print: plain objects become maps with keyword
// keys. Values received from the server are EDN values as edn.js reads them
// (maps are Map with Keyword keys; edn.toJS() turns them into plain objects).
//
// ## Callback outcomes
//
// `send(ev, {cb, timeoutMs})` calls `cb` exactly once, with the server's reply
// or with one of three keywords (Sente's own, see isCbSuccess()):
//
// * `:chsk/closed`: not sent, the client was not open;
// * `:chsk/timeout`: no reply within timeoutMs (WebSocket), the request timed
//   out (Ajax), or the server itself answered `:chsk/timeout` (its handler did
//   not reply in time). The event may or may not have been processed;
// * `:chsk/error`: sending failed (WebSocket send threw), or the Ajax POST got
//   a non-2xx answer, a network error or an unreadable body.
//
// `request(ev, timeoutMs)` returns a Promise that resolves with the reply and
// rejects with a SenteError whose `code` is 'chsk/closed', 'chsk/timeout' or
// 'chsk/error' for those three outcomes.
//
// A reply can only arrive on the WebSocket the request went out on, so when
// that socket drops, its pending callbacks end with `:chsk/timeout` when
// their timers fire (as in Sente).
//
// ## Differences from the ClojureScript client (deliberate)
//
// * Server pushes and `[:chsk/ws-ping]` go to onEvent; the handshake and
//   state changes have their own callbacks instead of `[:chsk/handshake …]`
//   and `[:chsk/state …]` events in one channel.
// * The nil-uid keywords (`:sente/nil-uid`, `:taoensso.sente/nil-uid`) are
//   reported as uid `null`.
// * Reconnect back-off is capped (maxBackoffMs, default 60 s, with jitter);
//   Sente's exp-backoff grows without bound.
// * A failed Ajax POST only fails its own callback; it does not mark the
//   connection closed (the long-poll loop owns the connection state).
// * Without a CSRF token no `X-CSRF-Token` header / `csrf-token` parameter
//   is sent (Sente would send the text "null").
// * Pushes with a `chsk/*` id are dropped with a warning (Sente asserts).
// * A refused token is replaced by itself: after an Ajax 403, or a WebSocket
//   that closed before its handshake, the client asks refreshCsrfToken
//   (default on a page: re-read the page's `sente-csrf-token` div with a
//   same-origin fetch, see fetchPageCsrfToken()) and reconnects at once with
//   a new token. A server restarted with in-memory sessions thus gets a new
//   session without a page reload; Sente's client keeps the old token.

import { parse, stringify, kw, Keyword, EdnError } from './edn.js';

export { kw };

const K = Object.freeze({
  handshake: kw('chsk/handshake'),
  wsPing: kw('chsk/ws-ping'),
  wsPong: kw('chsk/ws-pong'),
  timeout: kw('chsk/timeout'),
  closed: kw('chsk/closed'),
  error: kw('chsk/error'),
  dummy200: kw('chsk/dummy-cb-200'),
  ajax: kw('ajax'),
  nilUid: kw('sente/nil-uid'),
  nilUidLegacy: kw('taoensso.sente/nil-uid'),
});

/** Callback outcome: the client was not open, nothing was sent. */
export const CHSK_CLOSED = K.closed;
/** Callback outcome: no reply in time (or the server answered `:chsk/timeout`). */
export const CHSK_TIMEOUT = K.timeout;
/** Callback outcome: sending failed or the Ajax reply was an error / unreadable. */
export const CHSK_ERROR = K.error;

/** The cb-slot marker that `[… 0]` (≤1.20 Ajax convention) is normalised to by unpack(). */
export const AJAX_CB = K.ajax;

/**
 * Default options. `wsKaliveMs` is the client's keep-alive TICK: Sente HEAD
 * halves its `:ws-kalive-ms` option (20000), so it ticks every 10 s.
 */
export const DEFAULTS = Object.freeze({
  type: 'auto',
  params: {},
  wsKaliveMs: 10000,
  wsPingTimeoutMs: 5000,
  ajaxTimeoutMs: 60000,
  requestTimeoutMs: 10000,
  maxBackoffMs: 60000,
});

/** The error a request() Promise rejects with for a `:chsk/*` callback outcome. */
export class SenteError extends Error {
  /**
   * @param {Keyword} outcome CHSK_CLOSED, CHSK_TIMEOUT or CHSK_ERROR
   * @param {Array} [event] the event that was being sent
   */
  constructor(outcome, event) {
    super(`Sente request failed: ${outcome}${event ? ` (${safeText(event)})` : ''}`);
    this.name = 'SenteError';
    /** 'chsk/closed' | 'chsk/timeout' | 'chsk/error' */
    this.code = outcome instanceof Keyword ? outcome.fqn : String(outcome);
    /** The event as passed to request(). */
    this.event = event;
  }
}

/**
 * Tells a real reply from the three client-side outcomes, like Sente's `cb-success?`.
 * @param {*} reply the value a send() callback received
 * @returns {boolean} false for `:chsk/closed`, `:chsk/timeout` and `:chsk/error`
 */
export function isCbSuccess(reply) {
  return reply !== K.closed && reply !== K.timeout && reply !== K.error;
}

// ---------------------------------------------------------------------------
// Envelope

/**
 * Packs a frame the way Sente ≥1.21 writes it: the unprefixed EDN vector
 * `[payload cb-or-nil]`.
 * @param {*} payload an event, or any value
 * @param {*} [cb] callback id (string), the Ajax marker, or null
 * @returns {string}
 * @throws {EdnError} when the payload cannot be printed as EDN
 */
export function pack(payload, cb = null) {
  return stringify([payload, cb]);
}

/**
 * Unpacks a frame written by any Sente version (PROTOCOL §3.3):
 * `+[payload cb?]` (v1.17 and older with cb), `-payload` (≤1.16 without cb),
 * or unprefixed `[payload cb?]`. Empty text is payload nil. The cb `0`
 * (≤1.20 Ajax marker) is normalised to AJAX_CB.
 *
 * @param {string} text one frame
 * @returns {{payload: *, cb: *}} cb is null when absent
 * @throws {EdnError} for unreadable text or text that is not an envelope
 */
export function unpack(text) {
  if (typeof text !== 'string') throw new EdnError('Binary frame: the EDN packer needs text frames');
  const prefix = text[0] === '+' || text[0] === '-' ? text[0] : '';
  const body = prefix ? text.slice(1) : text;
  const v = body === '' ? null : parse(body);
  if (prefix === '-') return { payload: v, cb: null };
  if (v !== null && !Array.isArray(v)) throw new EdnError(`Not a Sente envelope: ${safeText(v)}`);
  const payload = v === null || v[0] === undefined ? null : v[0];
  let cb = v === null || v[1] === undefined ? null : v[1];
  if (cb === 0) cb = K.ajax;
  return { payload, cb };
}

// ---------------------------------------------------------------------------
// Helpers

/**
 * Encore's exp-backoff, the delay Sente waits before reconnect attempt
 * `attempt`: floor((2^n + random[0, 2^n)) × 500) ms with n = min(attempt, 36),
 * i.e. 1 → 1–2 s, 2 → 2–4 s, 3 → 4–8 s … A delay above maxMs is replaced by
 * a random value in [maxMs/2, maxMs] so capped clients do not retry in step.
 *
 * @param {number} attempt 1 for the first retry after a failure
 * @param {object} [opts]
 * @param {number} [opts.maxMs=Infinity] cap (Sente has none)
 * @param {function(): number} [opts.random=Math.random]
 * @returns {number} milliseconds
 */
export function expBackoffMs(attempt, { maxMs = Infinity, random = Math.random } = {}) {
  const n = Math.min(Math.max(attempt, 0), 36);
  const b = 2 ** n;
  const ms = Math.floor((b + random() * b) * 500);
  return ms <= maxMs ? ms : Math.floor(maxMs * (0.5 + 0.5 * random()));
}

/** A random v4 UUID; works outside secure contexts too (plain-http pages lack crypto.randomUUID). */
function randomUuid() {
  const c = globalThis.crypto;
  if (c && typeof c.randomUUID === 'function') return c.randomUUID();
  const b = new Uint8Array(16);
  if (c && typeof c.getRandomValues === 'function') c.getRandomValues(b);
  else for (let i = 0; i < 16; i++) b[i] = Math.floor(Math.random() * 256);
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  const h = Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

function safeText(v) {
  try {
    return stringify(v);
  } catch {
    return String(v);
  }
}

function defaultCsrfToken() {
  if (typeof document === 'undefined' || !document.getElementById) return null;
  const el = document.getElementById('sente-csrf-token');
  return (el && el.dataset && el.dataset.csrfToken) || null;
}

/** The request header fetchPageCsrfToken() sends, so a server can tell its fetch from a page view. */
export const CSRF_REFRESH_HEADER = 'X-Sente-Csrf-Refresh';

const HTML_ENTITIES = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

/**
 * Reads the token of the `<div id="sente-csrf-token" data-csrf-token="…">`
 * in an HTML document's text (with DOMParser where there is one).
 * @param {string} html
 * @returns {string|null} the token, or null when the document has none
 */
export function csrfTokenFromHtml(html) {
  if (typeof html !== 'string') return null;
  if (typeof globalThis.DOMParser === 'function') {
    const doc = new globalThis.DOMParser().parseFromString(html, 'text/html');
    const el = doc.getElementById('sente-csrf-token');
    return (el && el.getAttribute('data-csrf-token')) || null;
  }
  const tag = /<[a-z][^>]*?\sid\s*=\s*(["']?)sente-csrf-token\1[\s/>][^>]*>?/i.exec(html);
  if (!tag) return null;
  const attr = /\sdata-csrf-token\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'=<>`]+))/i.exec(tag[0]);
  if (!attr) return null;
  const raw = attr[1] ?? attr[2] ?? attr[3];
  const token = raw.replace(/&(#x[0-9a-f]+|#[0-9]+|[a-z]+);/gi, (m, e) => {
    if (e[0] !== '#') return HTML_ENTITIES[e.toLowerCase()] ?? m;
    const n = e[1] === 'x' || e[1] === 'X' ? parseInt(e.slice(2), 16) : parseInt(e.slice(1), 10);
    return n > 0 && n <= 0x10ffff ? String.fromCodePoint(n) : m;
  });
  return token || null;
}

/**
 * Fetches a page of the app (default: the current page) with a same-origin
 * GET, sending and storing cookies, and reads its `sente-csrf-token` div:
 * the default `refreshCsrfToken` of a client on a page. A server that has
 * forgotten the session (e.g. restarted with in-memory sessions) starts a
 * new one there and renders its token. The request carries the header
 * CSRF_REFRESH_HEADER ("1"), so the server can leave it out of page-view
 * counts.
 *
 * @param {string} [url] default: location.href
 * @param {object} [opts]
 * @param {typeof fetch} [opts.fetch]
 * @param {number} [opts.timeoutMs=10000]
 * @returns {Promise<string|null>} the token; null when the page has none or answers non-2xx
 */
export async function fetchPageCsrfToken(url, { fetch: f = globalThis.fetch, timeoutMs = 10000 } = {}) {
  const target = url ?? (globalThis.location && globalThis.location.href);
  if (!target) throw new TypeError('fetchPageCsrfToken needs a URL outside a page');
  const ctrl = new AbortController();
  const timer = setTimeout(() => ctrl.abort(), timeoutMs);
  try {
    const res = await f.call(globalThis, target, {
      method: 'GET',
      mode: 'same-origin',
      credentials: 'same-origin',
      cache: 'no-store',
      headers: { Accept: 'text/html', [CSRF_REFRESH_HEADER]: '1' },
      signal: ctrl.signal,
    });
    if (!res.ok) return null;
    return csrfTokenFromHtml(await res.text());
  } finally {
    clearTimeout(timer);
  }
}

/** Builds `k=v&k=v` with encodeURIComponent (space → %20, never +). */
function queryString(pairs, { encodeStar = false } = {}) {
  return pairs.map(([k, v]) => {
    const s = `${encodeURIComponent(k)}=${encodeURIComponent(String(v))}`;
    return encodeStar ? s.replace(/\*/g, '%2A') : s;
  }).join('&');
}

function withQuery(base, qs) {
  if (!qs) return base;
  return base + (base.includes('?') ? '&' : '?') + qs;
}

function isEvent(ev) {
  return Array.isArray(ev) && (ev.length === 1 || ev.length === 2)
    && ev[0] instanceof Keyword && ev[0].ns !== null;
}

function isHandshake(payload) {
  return Array.isArray(payload) && payload[0] === K.handshake;
}

/** Validates an app event and returns it with a Keyword id (strings are accepted as ids). */
function normalizeEvent(event) {
  if (!Array.isArray(event) || event.length < 1 || event.length > 2) {
    throw new TypeError('A Sente event is [id] or [id, data]');
  }
  const id = typeof event[0] === 'string' ? kw(event[0]) : event[0];
  if (!(id instanceof Keyword) || id.ns === null) {
    throw new TypeError(`Event id must be a namespace-qualified keyword, e.g. kw('my-app/save'); got ${String(event[0])}`);
  }
  return event.length === 1 ? [id] : [id, event[1]];
}

// ---------------------------------------------------------------------------
// Client

/**
 * @typedef {object} SenteState
 * @property {'ws'|'ajax'} type transport in use (an 'auto' client starts with 'ws')
 * @property {boolean} open a handshake was received and the connection is up
 * @property {boolean} everOpened
 * @property {*} uid the server's user id from the last handshake (null for no user)
 * @property {*} handshakeData the server's handshake-data (null when none)
 * @property {string|null} csrfToken the token the client sends
 * @property {{udt: number, event: *}|null} lastWsError
 * @property {{udt: number, clean: boolean, code: number, reason: string}|null} lastWsClose
 * @property {{udt: number, reason: string}|null} lastClose reason is one of
 *   'requested-disconnect', 'requested-reconnect', 'downgrading-ws-to-ajax',
 *   'unexpected', 'clean', 'ws-error', 'ws-ping-timeout'
 * @property {number|null} udtNextReconnect when the next reconnect attempt is due (ms since epoch)
 */

/**
 * A Sente channel socket client. Create it with connect(), or with
 * `new SenteClient(url, opts)` and call `.connect()` yourself (e.g. after
 * adding listeners with on()).
 *
 * Listeners never receive events synchronously from connect(), so listeners
 * added right after connect() miss nothing.
 */
export class SenteClient {
  /**
   * @param {string} url the channel socket path or URL, e.g. '/chsk'; relative
   *   URLs resolve against the page location; ws(s):// and http(s):// both work
   * @param {object} [opts]
   * Options left undefined take their defaults (DEFAULTS).
   * @param {'auto'|'ws'|'ajax'|null} [opts.type='auto'] transport; 'auto' tries a
   *   WebSocket and falls back to Ajax for good if it errors before ever handshaking
   * @param {string|null} [opts.csrfToken] default: `data-csrf-token` of the element
   *   `#sente-csrf-token`; null sends no token
   * @param {(function(): Promise<string|null>)|null} [opts.refreshCsrfToken] called for a
   *   fresh token when the server may have refused the current one (an Ajax 403, or a
   *   WebSocket that closed before its handshake: browsers hide the status of a refused
   *   upgrade). A token that differs from the current one is used from the next attempt
   *   on, which starts at once. Default: fetchPageCsrfToken() when the token was read
   *   from the page, else none; null turns it off
   * @param {string} [opts.clientId] default: a random UUID per client
   * @param {Object<string, *>} [opts.params] extra query parameters for the WebSocket
   *   URL and Ajax GETs (placed before Sente's own)
   * @param {number} [opts.wsKaliveMs=10000] keep-alive tick: after a tick without
   *   traffic the client pings the server
   * @param {number} [opts.wsPingTimeoutMs=5000] reconnect when that ping gets no
   *   "pong" within this time; 0 sends pings without a callback (what a v1.17
   *   server needs, as it never answers "pong")
   * @param {number} [opts.ajaxTimeoutMs=60000] client-side timeout of Ajax long-polls
   *   and callback-less POSTs (Sente's `:ajax-opts {:timeout-ms}`)
   * @param {number} [opts.requestTimeoutMs=10000] default timeout of send() callbacks and request()
   * @param {function(number): number} [opts.backoffMs] delay before reconnect attempt
   *   n (n = 1, 2, … consecutive failures); default: 0 for n = 1 (Sente ≥1.18),
   *   else expBackoffMs(n) capped at maxBackoffMs
   * @param {number} [opts.maxBackoffMs=60000] cap of the default back-off
   * @param {function(SenteState, SenteState): void} [opts.onState] see on('state')
   * @param {function({uid: *, handshakeData: *, firstHandshake: boolean}): void} [opts.onHandshake] see on('handshake')
   * @param {function(Array): void} [opts.onEvent] see on('event')
   * @param {{warn: function}|null} [opts.logger=console] where warnings go; null silences them
   * @param {typeof WebSocket|null} [opts.WebSocket] WebSocket implementation (tests); null = none
   * @param {typeof fetch} [opts.fetch] fetch implementation (tests)
   */
  constructor(url, opts = {}) {
    const o = { ...DEFAULTS };
    for (const [k, v] of Object.entries(opts)) if (v !== undefined) o[k] = v;
    if (o.type === null) o.type = DEFAULTS.type; // e.g. URLSearchParams.get('type') on a page without it
    if (!['auto', 'ws', 'ajax'].includes(o.type)) throw new TypeError(`Unknown type: ${o.type}`);
    for (const k of ['wsKaliveMs', 'ajaxTimeoutMs', 'requestTimeoutMs', 'maxBackoffMs', 'wsPingTimeoutMs']) {
      const v = o[k];
      if (typeof v !== 'number' || !(v > 0 || (v === 0 && k === 'wsPingTimeoutMs'))) {
        throw new RangeError(`${k} must be a positive number of milliseconds, got ${v}`);
      }
    }
    this._opts = o;
    this._WS = opts.WebSocket !== undefined ? opts.WebSocket : globalThis.WebSocket;
    const f = opts.fetch || globalThis.fetch;
    this._fetch = f ? (...args) => f.apply(globalThis, args) : null;
    if (o.type === 'ws' && !this._WS) throw new TypeError("type 'ws' needs a WebSocket implementation");
    if (o.type !== 'ws' && !this._fetch) throw new TypeError('Ajax needs a fetch implementation');
    this._log = opts.logger !== undefined ? opts.logger : console;
    this._backoff = typeof o.backoffMs === 'function'
      ? o.backoffMs
      : (n) => (n <= 1 ? 0 : expBackoffMs(n, { maxMs: o.maxBackoffMs }));

    /** The client id sent as `client-id`. @type {string} */
    this.clientId = o.clientId || randomUuid();
    const fromPage = opts.csrfToken === undefined;
    const csrfToken = fromPage ? defaultCsrfToken() : opts.csrfToken || null;
    let refresh = opts.refreshCsrfToken;
    if (refresh === undefined) {
      const onPage = fromPage && typeof document !== 'undefined' && this._fetch;
      refresh = onPage ? () => fetchPageCsrfToken(undefined, { fetch: this._fetch }) : null;
    }
    if (refresh !== null && typeof refresh !== 'function') throw new TypeError('refreshCsrfToken must be a function or null');
    this._refreshToken = refresh;
    this._refreshing = false;

    const base = new URL(url, globalThis.location ? globalThis.location.href : undefined);
    base.hash = '';
    const wsUrl = new URL(base.href);
    const ajaxUrl = new URL(base.href);
    const scheme = base.protocol.replace(':', '');
    const secure = scheme === 'https' || scheme === 'wss';
    wsUrl.protocol = secure ? 'wss:' : 'ws:';
    ajaxUrl.protocol = secure ? 'https:' : 'http:';
    const params = Object.entries(o.params || {}).filter(([, v]) => v !== undefined && v !== null);
    this._wsBase = wsUrl.href;
    this._ajaxUrl = ajaxUrl.href;
    this._params = params;
    this._useToken(csrfToken); // sets _wsUrl and _headers

    this._listeners = { state: new Set(), handshake: new Set(), event: new Set() };
    if (o.onState) this.on('state', o.onState);
    if (o.onHandshake) this.on('handshake', o.onHandshake);
    if (o.onEvent) this.on('event', o.onEvent);

    this._transport = o.type === 'ajax' || (o.type === 'auto' && !this._WS) ? 'ajax' : 'ws';
    this._state = Object.freeze({
      type: this._transport,
      open: false,
      everOpened: false,
      uid: null,
      handshakeData: null,
      csrfToken,
      lastWsError: null,
      lastWsClose: null,
      lastClose: null,
      udtNextReconnect: null,
    });

    this._running = false;
    this._gen = 0; // bumped by every teardown; stale async work compares it
    this._attempt = 0; // consecutive failures
    this._retryTimer = null;
    this._retryBlocked = false;
    this._unloading = false;
    this._conn = null; // current WebSocket: {ws, errored}
    this._wsHandshook = false; // any WebSocket ever handshook (ends 'auto' fallback)
    this._everHandshook = false;
    this._cbs = new Map(); // WS callback id → {cb, timer}
    this._kalive = null;
    this._activity = 0; // bumped by every WS frame received or sent
    this._pingOutstanding = false;
    this._polls = new Set(); // AbortControllers of in-flight Ajax GETs
    this._pageListeners = null;
  }

  /** Builds the WebSocket URL and the Ajax headers for token (null: none). */
  _useToken(token) {
    const wsPairs = [...this._params, ['client-id', this.clientId]];
    if (token) wsPairs.push(['csrf-token', token]);
    this._wsUrl = withQuery(this._wsBase, queryString(wsPairs, { encodeStar: true }));
    this._headers = { 'X-Requested-With': 'XMLHTTPRequest' };
    if (token) this._headers['X-CSRF-Token'] = token;
  }

  /** @returns {SenteState} the current state (a frozen snapshot) */
  get state() {
    return this._state;
  }

  /**
   * Adds a listener. Types:
   * * 'state' `(oldState, newState)`: every state change. When `open` flipped,
   *   newState also has transient `openChanged`, `opened`, `closed` and
   *   `firstOpen` (true on the first opening ever) set; otherwise they are false.
   * * 'handshake' `({uid, handshakeData, firstHandshake})`: every handshake
   *   (first connect and every reconnect); the client is open by then.
   * * 'event' `(event)`: each server push, in order, unwrapped (`[id data]`), and
   *   `[:chsk/ws-ping]` for each server keep-alive ping.
   * Listener exceptions are caught and logged.
   *
   * @param {'state'|'handshake'|'event'} type
   * @param {Function} fn
   * @returns {function(): void} removes the listener
   */
  on(type, fn) {
    const set = this._listeners[type];
    if (!set) throw new TypeError(`Unknown listener type: ${type}`);
    if (typeof fn !== 'function') throw new TypeError('Listener must be a function');
    set.add(fn);
    return () => set.delete(fn);
  }

  /**
   * Starts connecting (no-op when already started). Resets the retry counter.
   * @returns {this}
   */
  connect() {
    if (this._running) return this;
    this._running = true;
    this._attempt = 0;
    this._watchPage(true);
    this._startTransport();
    return this;
  }

  /** Closes the connection for good: no automatic reconnects until connect()/reconnect(). */
  disconnect() {
    this._running = false;
    this._watchPage(false);
    this._teardown('requested-disconnect');
  }

  /** Alias of disconnect(). */
  close() {
    this.disconnect();
  }

  /**
   * Drops the connection and connects again at once, e.g. to pick up a new
   * session uid after login/logout (the new handshake carries it).
   */
  reconnect() {
    this._running = false;
    this._teardown('requested-reconnect');
    this.connect();
  }

  /**
   * Sends an event to the server.
   *
   * @param {Array} event `[id]` or `[id, data]`; id a namespaced Keyword or its name as a string
   * @param {object} [opts]
   * @param {function(*): void} [opts.cb] called once with the reply or a `:chsk/*`
   *   outcome (see isCbSuccess()); without it the server gets no callback id
   * @param {number} [opts.timeoutMs] callback timeout; default requestTimeoutMs
   * @returns {boolean} false when not open (cb then got `:chsk/closed`) or the send failed
   * @throws {TypeError|EdnError} for an invalid event or data that cannot be printed as EDN
   */
  send(event, { cb, timeoutMs } = {}) {
    const ev = normalizeEvent(event);
    if (cb !== undefined && cb !== null && typeof cb !== 'function') throw new TypeError('cb must be a function');
    const t = timeoutMs ?? this._opts.requestTimeoutMs;
    if (cb && !(Number.isFinite(t) && t >= 0)) throw new TypeError('timeoutMs must be a non-negative number');
    const once = cb ? this._once(cb) : null;
    if (!this._state.open) {
      if (once) once(K.closed);
      return false;
    }
    return this._transport === 'ws' ? this._sendWs(ev, t, once) : this._sendAjax(ev, t, once);
  }

  /**
   * Sends an event and waits for the server's reply.
   *
   * @param {Array} event as for send()
   * @param {number|{timeoutMs: number}} [timeout] ms; default requestTimeoutMs
   * @returns {Promise<*>} the reply; rejects with SenteError (code 'chsk/closed',
   *   'chsk/timeout' or 'chsk/error'), or with TypeError/EdnError for a bad event
   */
  request(event, timeout) {
    const timeoutMs = typeof timeout === 'number' ? timeout : timeout && timeout.timeoutMs;
    return new Promise((resolve, reject) => {
      this.send(event, {
        timeoutMs,
        cb: (reply) => (isCbSuccess(reply) ? resolve(reply) : reject(new SenteError(reply, event))),
      });
    });
  }

  // -------------------------------------------------------------------------
  // Internals: state and listeners

  _warn(...args) {
    if (this._log && typeof this._log.warn === 'function') this._log.warn('[sente]', ...args);
  }

  _emit(type, ...args) {
    for (const fn of [...this._listeners[type]]) {
      try {
        fn(...args);
      } catch (err) {
        this._warn(`${type} listener threw`, err);
      }
    }
  }

  _swap(patch) {
    const old = this._state;
    if (Object.keys(patch).every((k) => Object.is(old[k], patch[k]))) return;
    const next = Object.freeze({ ...old, ...patch });
    this._state = next;
    const openChanged = old.open !== next.open;
    this._emit('state', old, Object.freeze({
      ...next,
      openChanged,
      opened: openChanged && next.open,
      closed: openChanged && !next.open,
      firstOpen: openChanged && next.open && !old.everOpened,
    }));
  }

  _once(cb) {
    let called = false;
    return (value) => {
      if (called) return;
      called = true;
      try {
        cb(value);
      } catch (err) {
        this._warn('callback threw', err);
      }
    };
  }

  /** In browsers: no reconnect attempts while the page is being hidden/unloaded. */
  _watchPage(on) {
    const w = globalThis.window;
    if (!w || typeof w.addEventListener !== 'function') return;
    if (on && !this._pageListeners) {
      const hide = () => { this._unloading = true; };
      const show = () => {
        this._unloading = false;
        if (this._retryBlocked) {
          this._retryBlocked = false;
          this._scheduleRetry();
        }
      };
      w.addEventListener('pagehide', hide);
      w.addEventListener('pageshow', show);
      this._pageListeners = { hide, show };
    } else if (!on && this._pageListeners) {
      w.removeEventListener('pagehide', this._pageListeners.hide);
      w.removeEventListener('pageshow', this._pageListeners.show);
      this._pageListeners = null;
    }
  }

  // -------------------------------------------------------------------------
  // Internals: connection lifecycle

  _startTransport() {
    if (!this._running) return;
    if (this._transport === 'ws') {
      this._startWs();
    } else {
      this._pollLoop(this._gen).catch((err) => this._warn('Ajax poll loop failed', err));
    }
  }

  _teardown(reason) {
    this._gen++;
    clearTimeout(this._retryTimer);
    this._retryTimer = null;
    this._retryBlocked = false;
    this._dropWs();
    for (const c of this._polls) c.abort();
    this._polls.clear();
    this._swap({ open: false, lastClose: { udt: Date.now(), reason }, udtNextReconnect: null });
  }

  /**
   * Marks the client closed for `reason` (plus any other state in `patch`)
   * and plans the next attempt; with `refresh`, after asking refreshCsrfToken
   * for a new token (the server may have refused this one).
   */
  _lost(reason, patch = {}, refresh = false) {
    this._swap({ ...patch, open: false, lastClose: { udt: Date.now(), reason } });
    if (refresh && this._refreshToken && !this._refreshing) this._refreshThenRetry();
    else this._scheduleRetry();
  }

  /** Asks refreshCsrfToken for a token; a new one resets the back-off, so the retry is immediate. */
  async _refreshThenRetry() {
    const gen = this._gen;
    this._refreshing = true;
    let token = null;
    let timer;
    try {
      token = await Promise.race([
        Promise.resolve().then(() => this._refreshToken()),
        new Promise((resolve) => { timer = setTimeout(resolve, this._opts.requestTimeoutMs, null); }),
      ]);
    } catch (err) {
      // The error's name only: a message may quote a URL, and URLs here can carry a token.
      this._warn('refreshCsrfToken failed:', err && err.name ? err.name : 'error');
    } finally {
      clearTimeout(timer);
      this._refreshing = false;
    }
    if (gen !== this._gen || !this._running) return;
    if (typeof token === 'string' && token !== '' && token !== this._state.csrfToken) {
      this._useToken(token);
      this._attempt = 0;
      this._swap({ csrfToken: token });
    }
    this._scheduleRetry();
  }

  _scheduleRetry() {
    if (!this._running) return;
    if (this._unloading) {
      this._retryBlocked = true;
      return;
    }
    this._attempt += 1;
    let ms = Number(this._backoff(this._attempt));
    if (!(ms >= 0)) ms = 0;
    const gen = this._gen;
    clearTimeout(this._retryTimer);
    this._retryTimer = setTimeout(() => {
      this._retryTimer = null;
      if (gen === this._gen) this._startTransport();
    }, ms);
    this._swap({ udtNextReconnect: Date.now() + ms });
  }

  _onHandshake(payload, conn) {
    const args = Array.isArray(payload[1]) ? payload[1] : [];
    let uid = args[0] === undefined ? null : args[0];
    if (uid === K.nilUid || uid === K.nilUidLegacy) uid = null;
    const handshakeData = args[2] === undefined ? null : args[2];
    const firstHandshake = !this._everHandshook;
    this._everHandshook = true;
    this._attempt = 0;
    if (conn) {
      conn.handshook = true;
      this._wsHandshook = true;
      this._startKalive(conn);
    }
    const gen = this._gen;
    this._swap({
      type: this._transport, open: true, everOpened: true, uid, handshakeData, udtNextReconnect: null,
    });
    if (gen === this._gen) this._emit('handshake', { uid, handshakeData, firstHandshake });
  }

  _deliverBatch(payload) {
    if (!Array.isArray(payload)) {
      this._warn('dropping unexpected payload', safeText(payload));
      return;
    }
    for (const ev of payload) {
      if (!isEvent(ev) || ev[0].ns === 'chsk') {
        this._warn('dropping invalid pushed event', safeText(ev));
        continue;
      }
      this._emit('event', ev);
    }
  }

  // -------------------------------------------------------------------------
  // Internals: WebSocket

  _startWs() {
    let ws;
    try {
      ws = new this._WS(this._wsUrl);
    } catch (err) {
      const gen = this._gen;
      queueMicrotask(() => {
        if (gen !== this._gen || !this._running) return;
        this._swap({ lastWsError: { udt: Date.now(), event: err } });
        if (this._opts.type === 'auto' && !this._wsHandshook) this._downgrade();
        else this._lost('ws-error');
      });
      return;
    }
    const conn = { ws, errored: false, handshook: false };
    this._conn = conn;
    try {
      ws.binaryType = 'arraybuffer';
    } catch {
      // not settable on some implementations; only text frames are used anyway
    }
    ws.onmessage = (e) => this._onWsMessage(conn, e.data);
    ws.onerror = (e) => this._onWsError(conn, e);
    ws.onclose = (e) => this._onWsClose(conn, e);
  }

  /** Detaches and closes the current socket without triggering any handler. */
  _dropWs() {
    const conn = this._conn;
    if (!conn) return;
    this._conn = null;
    this._stopKalive();
    const { ws } = conn;
    ws.onmessage = null;
    ws.onerror = null;
    ws.onclose = null;
    try {
      ws.close(1000, 'CLOSE_NORMAL');
    } catch {
      // already closed
    }
  }

  _downgrade() {
    this._dropWs();
    this._transport = 'ajax';
    this._attempt = 0;
    this._swap({ type: 'ajax', open: false, lastClose: { udt: Date.now(), reason: 'downgrading-ws-to-ajax' } });
    this._startTransport();
  }

  _onWsError(conn, e) {
    if (conn !== this._conn) return;
    conn.errored = true;
    this._swap({ lastWsError: { udt: Date.now(), event: e } });
    if (conn === this._conn && this._opts.type === 'auto' && !this._wsHandshook) this._downgrade();
  }

  _onWsClose(conn, e) {
    if (conn !== this._conn) return;
    this._conn = null;
    this._stopKalive();
    const udt = Date.now();
    const clean = Boolean(e && e.wasClean);
    this._lost(clean ? 'clean' : conn.errored ? 'ws-error' : 'unexpected', {
      lastWsClose: { udt, clean, code: e ? e.code : 1006, reason: (e && e.reason) || '' },
    }, !conn.handshook);
  }

  _onWsMessage(conn, data) {
    if (conn !== this._conn) return;
    this._activity++;
    let env;
    try {
      env = unpack(data);
    } catch (err) {
      this._warn('dropping unreadable frame', err.message);
      return;
    }
    const { payload, cb } = env;
    if (isHandshake(payload)) {
      this._onHandshake(payload, conn);
    } else if (payload === K.wsPing) {
      this._wsWrite(conn, pack([K.wsPong], null));
      this._emit('event', [K.wsPing]);
    } else if (cb !== null && cb !== false) {
      const pending = typeof cb === 'string' ? this._cbs.get(cb) : undefined;
      if (!pending) {
        this._warn('dropping reply for unknown or expired callback', safeText(cb));
        return;
      }
      this._cbs.delete(cb);
      clearTimeout(pending.timer);
      pending.cb(payload);
    } else {
      this._deliverBatch(payload);
    }
  }

  /** Writes a frame; on failure reconnects (as Sente ≥1.18 does) and returns false. */
  _wsWrite(conn, frame) {
    try {
      conn.ws.send(frame);
    } catch (err) {
      this._warn('WebSocket send failed', err && err.message);
      if (conn === this._conn) {
        this._dropWs();
        this._lost('ws-error');
      }
      return false;
    }
    this._activity++;
    return true;
  }

  _sendWs(ev, timeoutMs, cb) {
    const conn = this._conn;
    if (!conn) {
      if (cb) cb(K.closed);
      return false;
    }
    let id = null;
    if (cb) {
      do id = randomUuid().slice(0, 6); while (this._cbs.has(id));
    }
    const frame = pack(ev, id); // throws before anything is registered
    if (cb) {
      const timer = setTimeout(() => {
        const pending = this._cbs.get(id);
        if (pending && pending.timer === timer) {
          this._cbs.delete(id);
          cb(K.timeout);
        }
      }, timeoutMs);
      this._cbs.set(id, { cb, timer });
    }
    if (this._wsWrite(conn, frame)) return true;
    if (cb) {
      clearTimeout(this._cbs.get(id).timer);
      this._cbs.delete(id);
      cb(K.error);
    }
    return false;
  }

  _startKalive(conn) {
    this._stopKalive();
    let seen = this._activity;
    this._kalive = setInterval(() => {
      if (conn !== this._conn) {
        this._stopKalive();
        return;
      }
      if (this._activity !== seen || this._pingOutstanding) {
        seen = this._activity;
        return;
      }
      this._ping(conn);
      seen = this._activity;
    }, this._opts.wsKaliveMs);
  }

  _stopKalive() {
    clearInterval(this._kalive);
    this._kalive = null;
    this._pingOutstanding = false;
  }

  _ping(conn) {
    const timeoutMs = this._opts.wsPingTimeoutMs;
    if (!(timeoutMs > 0)) {
      this._wsWrite(conn, pack([K.wsPing], null));
      return;
    }
    this._pingOutstanding = true;
    this._sendWs([K.wsPing], timeoutMs, (reply) => {
      if (conn !== this._conn) return;
      this._pingOutstanding = false;
      if (reply === 'pong') return;
      this._dropWs();
      this._lost('ws-ping-timeout');
    });
  }

  // -------------------------------------------------------------------------
  // Internals: Ajax

  /**
   * One fetch with a client-side timeout. Never throws; resolves to
   * {text} for 2xx, {timeout: true}, {aborted: true} or {error}.
   */
  async _ajax(url, init, timeoutMs, track) {
    const ctrl = new AbortController();
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      ctrl.abort();
    }, timeoutMs);
    if (track) this._polls.add(ctrl);
    try {
      const res = await this._fetch(url, {
        ...init, signal: ctrl.signal, credentials: 'same-origin', cache: 'no-store',
      });
      const text = await res.text();
      if (!res.ok) return { error: new Error(`HTTP ${res.status}: ${text.slice(0, 200)}`), status: res.status };
      return { text };
    } catch (err) {
      if (timedOut) return { timeout: true };
      if (ctrl.signal.aborted) return { aborted: true };
      return { error: err };
    } finally {
      clearTimeout(timer);
      if (track) this._polls.delete(ctrl);
    }
  }

  /** The Ajax GET loop: handshake while not open, then long-polls, until a failure or teardown. */
  async _pollLoop(gen) {
    while (gen === this._gen && this._running) {
      const pairs = [...this._params, ['udt', Date.now()], ['client-id', this.clientId]];
      if (!this._state.open) pairs.push(['handshake?', 1]);
      const url = withQuery(this._ajaxUrl, queryString(pairs));
      const r = await this._ajax(url, { method: 'GET', headers: this._headers }, this._opts.ajaxTimeoutMs, true);
      if (gen !== this._gen || !this._running || r.aborted) return;
      if (r.timeout) continue;
      let env = null;
      if (r.status === 403 && this._refreshToken) {
        this._lost('unexpected', {}, true); // refused: most likely the token; fetch a new one
        return;
      }
      if (r.error) {
        this._warn('Ajax poll failed', r.error.message);
      } else {
        try {
          if (r.text === '') throw new EdnError('empty response');
          env = unpack(r.text);
        } catch (err) {
          this._warn('unreadable Ajax poll response', err.message);
        }
      }
      if (env === null) {
        this._lost('unexpected');
        return;
      }
      this._attempt = 0;
      if (isHandshake(env.payload)) this._onHandshake(env.payload, null);
      else if (env.payload !== K.timeout) this._deliverBatch(env.payload);
    }
  }

  _sendAjax(ev, timeoutMs, cb) {
    const frame = pack(ev, cb ? K.ajax : null);
    const body = queryString([['udt', Date.now()], ['client-id', this.clientId], ['ppstr', frame]]);
    const init = {
      method: 'POST',
      headers: { ...this._headers, 'Content-Type': 'application/x-www-form-urlencoded;charset=utf-8' },
      body,
    };
    this._ajax(this._ajaxUrl, init, cb ? timeoutMs : this._opts.ajaxTimeoutMs, false).then((r) => {
      let outcome;
      if (r.timeout) {
        outcome = K.timeout;
      } else if (r.error || r.aborted) {
        this._warn('Ajax POST failed', r.error ? r.error.message : 'aborted');
        outcome = K.error;
      } else {
        try {
          if (r.text === '') throw new EdnError('empty response');
          outcome = unpack(r.text).payload;
        } catch (err) {
          this._warn('unreadable Ajax POST response', err.message);
          outcome = K.error;
        }
      }
      if (cb) cb(outcome);
      else if (outcome !== K.dummy200 && isCbSuccess(outcome)) this._warn('unexpected reply to a send without callback', safeText(outcome));
    });
    return true;
  }
}

/**
 * Creates a client and starts connecting.
 *
 * @param {string} url channel socket path or URL, e.g. '/chsk'
 * @param {object} [opts] see the SenteClient constructor
 * @returns {SenteClient}
 */
export function connect(url, opts) {
  return new SenteClient(url, opts).connect();
}
