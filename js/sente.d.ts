// Type declarations for sente.js: a dependency-free Sente client (see
// README.md in this folder for a guide).

import { EdnError, EdnValue, Keyword, Printable, kw } from './edn.js';

export { kw, EdnError, Keyword };

/** A client event: `[id]` or `[id, data]`; id a namespace-qualified keyword or its name ("my-app/save"). */
export type SenteEvent = [Keyword | string] | [Keyword | string, Printable];

/** A server push as listeners receive it: the id is always a Keyword. */
export type PushedEvent = [Keyword] | [Keyword, EdnValue];

/** Callback outcome: the client was not open, nothing was sent. */
export const CHSK_CLOSED: Keyword;
/** Callback outcome: no reply in time (or the server answered `:chsk/timeout`). */
export const CHSK_TIMEOUT: Keyword;
/** Callback outcome: sending failed or the Ajax reply was an error or unreadable. */
export const CHSK_ERROR: Keyword;
/** The cb-slot marker `[… 0]` (≤1.20 Ajax convention) is normalised to by unpack(). */
export const AJAX_CB: Keyword;

/** Default options. */
export const DEFAULTS: Readonly<{
  type: 'auto';
  params: Record<string, never>;
  wsKaliveMs: number;
  wsPingTimeoutMs: number;
  ajaxTimeoutMs: number;
  requestTimeoutMs: number;
  maxBackoffMs: number;
}>;

/** The error a request() Promise rejects with for a `:chsk/*` callback outcome. */
export class SenteError extends Error {
  constructor(outcome: Keyword, event?: SenteEvent);
  readonly code: 'chsk/closed' | 'chsk/timeout' | 'chsk/error' | string;
  readonly event: SenteEvent | undefined;
}

/** False for the three `:chsk/*` outcomes, true for a real reply (Sente's `cb-success?`). */
export function isCbSuccess(reply: unknown): boolean;
/** Packs a frame as Sente ≥1.21 writes it: `[payload cb-or-nil]`. */
export function pack(payload: Printable, cb?: string | Keyword | null): string;
/** Unpacks a frame written by any Sente version. */
export function unpack(text: string): { payload: EdnValue; cb: EdnValue };
/** Encore's exp-backoff (Sente's reconnect delay) with an optional cap. */
export function expBackoffMs(attempt: number, opts?: { maxMs?: number; random?: () => number }): number;

/** The header fetchPageCsrfToken() sends ("1"), so a server can tell its fetch from a page view. */
export const CSRF_REFRESH_HEADER: 'X-Sente-Csrf-Refresh';
/** Reads the token of the `#sente-csrf-token` div's data-csrf-token in an HTML document's text. */
export function csrfTokenFromHtml(html: string): string | null;
/** Fetches a page of the app (default: the current page) same-origin, with cookies, and reads its token. */
export function fetchPageCsrfToken(url?: string, opts?: { fetch?: typeof fetch; timeoutMs?: number }): Promise<string | null>;

/** Why the connection last closed. */
export type CloseReason =
  | 'requested-disconnect'
  | 'requested-reconnect'
  | 'downgrading-ws-to-ajax'
  | 'unexpected'
  | 'clean'
  | 'ws-error'
  | 'ws-ping-timeout';

/** The client's state: a frozen snapshot, replaced on every change. */
export interface SenteState {
  /** Transport in use (an 'auto' client starts with 'ws'). */
  readonly type: 'ws' | 'ajax';
  /** A handshake was received and the connection is up. */
  readonly open: boolean;
  readonly everOpened: boolean;
  /** The server's user id from the last handshake (null for no user). */
  readonly uid: EdnValue;
  /** The server's handshake data (null when none). */
  readonly handshakeData: EdnValue;
  /** The CSRF token the client sends (null for none). Keep it out of logs. */
  readonly csrfToken: string | null;
  readonly lastWsError: { udt: number; event: unknown } | null;
  readonly lastWsClose: { udt: number; clean: boolean; code: number; reason: string } | null;
  readonly lastClose: { udt: number; reason: CloseReason } | null;
  /** When the next reconnect attempt is due (ms since epoch). */
  readonly udtNextReconnect: number | null;
}

/** The state a 'state' listener receives as its second argument. */
export interface SenteStateChange extends SenteState {
  readonly openChanged: boolean;
  readonly opened: boolean;
  readonly closed: boolean;
  readonly firstOpen: boolean;
}

/** What a 'handshake' listener receives. */
export interface Handshake {
  uid: EdnValue;
  handshakeData: EdnValue;
  firstHandshake: boolean;
}

export interface SenteOptions {
  /** Transport: 'auto' (default) tries a WebSocket and falls back to Ajax for good if it errors before ever handshaking. */
  type?: 'auto' | 'ws' | 'ajax' | null;
  /** Default: data-csrf-token of the element #sente-csrf-token; null sends no token. */
  csrfToken?: string | null;
  /**
   * Called for a fresh token when the server may have refused the current one (an Ajax
   * 403, or a WebSocket that closed before its handshake). A token that differs from the
   * current one is used from the next attempt on, which starts at once. Default:
   * fetchPageCsrfToken() when the token was read from the page, else none; null turns it off.
   */
  refreshCsrfToken?: (() => Promise<string | null> | string | null) | null;
  /** Default: a random UUID per client. */
  clientId?: string;
  /** Extra query parameters for the WebSocket URL and Ajax GETs. */
  params?: Record<string, string | number | boolean | null | undefined>;
  wsKaliveMs?: number;
  wsPingTimeoutMs?: number;
  ajaxTimeoutMs?: number;
  requestTimeoutMs?: number;
  /** Delay before reconnect attempt n (n = 1, 2, …). */
  backoffMs?: (attempt: number) => number;
  maxBackoffMs?: number;
  onState?: (oldState: SenteState, newState: SenteStateChange) => void;
  onHandshake?: (h: Handshake) => void;
  onEvent?: (event: PushedEvent) => void;
  /** Where warnings go (default console); null silences them. */
  logger?: { warn: (...args: unknown[]) => void } | null;
  /** WebSocket implementation (tests); null = none. */
  WebSocket?: typeof WebSocket | null;
  /** fetch implementation (tests). */
  fetch?: typeof fetch;
}

/** A Sente channel socket client. */
export class SenteClient {
  constructor(url: string, opts?: SenteOptions);
  /** The client id sent as `client-id`. */
  readonly clientId: string;
  /** The current state. */
  readonly state: SenteState;
  on(type: 'state', fn: (oldState: SenteState, newState: SenteStateChange) => void): () => void;
  on(type: 'handshake', fn: (h: Handshake) => void): () => void;
  on(type: 'event', fn: (event: PushedEvent) => void): () => void;
  /** Starts connecting (no-op when already started). */
  connect(): this;
  /** Closes the connection for good: no automatic reconnects until connect() or reconnect(). */
  disconnect(): void;
  /** Alias of disconnect(). */
  close(): void;
  /** Drops the connection and connects again at once. */
  reconnect(): void;
  /** Sends an event; cb gets the reply or a `:chsk/*` outcome. False when not open or the send failed. */
  send(event: SenteEvent, opts?: { cb?: ((reply: EdnValue) => void) | null; timeoutMs?: number }): boolean;
  /** Sends an event and resolves with the server's reply; rejects with SenteError. */
  request(event: SenteEvent, timeout?: number | { timeoutMs: number }): Promise<EdnValue>;
}

/** Creates a client and starts connecting. */
export function connect(url: string, opts?: SenteOptions): SenteClient;
