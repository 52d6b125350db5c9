// app.js: the counter page's script (ES module, no build step).
//
// Mounts the state the server rendered into #app's data-state (base64 of the
// EDN {:name "Clojure", :count n}), connects to /chsk with sente.js (package js, served under /sente/), and shows
// the connection, the count, replies and server pushes. `?type=ajax` (or
// `?type=ws`) forces a transport; the default is Sente's :auto.
//
// The page reflects the client on #app for people and tests alike:
// data-open ("true"/"false"), data-transport ("ws"/"ajax"), data-uid and
// data-sessions (how many sessions this page has had: 2 after the server
// restarted and forgot the first one; the client then fetched a new token
// by itself and the page says so).

import { connect, kw } from '/sente/sente.js';
import { parse, toJS } from '/sente/edn.js';

const EV = Object.freeze({
  commtest: kw('components/commtest'),
  inc: kw('counter/inc'),
  count: kw('counter/count'),
  tick: kw('counter/tick'),
  wsPing: kw('chsk/ws-ping'),
});
const MAX_LOG = 12;

const $ = (id) => document.getElementById(id);
const root = $('app');
const ui = {
  name: $('name'), conn: $('conn'), transport: $('transport'), uid: $('uid'),
  count: $('count'), inc: $('inc'), send: $('send'), reply: $('reply'),
  ticks: $('ticks'), lastTick: $('last-tick'), pushes: $('pushes'), hint: $('hint'),
  session: $('session'),
};

/** Reads data-state: base64 of UTF-8 EDN text. */
function readState(b64) {
  const bytes = Uint8Array.from(atob(b64 || ''), (c) => c.charCodeAt(0));
  return toJS(parse(new TextDecoder().decode(bytes)));
}

// A session's count only grows, and replies (Ajax POSTs) and pushes (the
// socket or the long-poll) can overtake each other: keep the largest seen.
let shownCount = -Infinity;

function showCount(n) {
  if (typeof n !== 'number' || !Number.isFinite(n) || n < shownCount) return;
  shownCount = n;
  ui.count.textContent = String(n);
}

function showReply(text, isError = false) {
  ui.reply.textContent = text;
  ui.reply.classList.toggle('error', isError);
}

function logPush(text) {
  const li = document.createElement('li');
  li.textContent = `${new Date().toLocaleTimeString()}  ${text}`;
  ui.pushes.prepend(li);
  while (ui.pushes.children.length > MAX_LOG) ui.pushes.lastElementChild.remove();
}

function showState(s) {
  const open = Boolean(s.open);
  root.dataset.open = String(open);
  root.dataset.transport = s.type;
  ui.conn.textContent = open ? 'connected' : s.everOpened ? 'reconnecting…' : 'connecting…';
  ui.conn.classList.toggle('open', open);
  ui.transport.textContent = s.type === 'ws' ? 'WebSocket' : 'Ajax long-polling';
  // Say so when reconnecting takes a while (the server is restarting or gone).
  ui.hint.hidden = open || !s.everOpened || !(s.udtNextReconnect && s.udtNextReconnect - Date.now() > 2000);
  ui.inc.disabled = !open;
  ui.send.disabled = !open;
}

let ticks = 0;
let lastUid;
let sessions = 1;

function onEvent([id, data]) {
  if (id === EV.wsPing) return;
  if (id === EV.count) {
    showCount(data);
    logPush(`counter/count ${data}`);
  } else if (id === EV.tick) {
    const t = toJS(data);
    ticks += 1;
    ui.ticks.textContent = String(ticks);
    ui.lastTick.textContent = t.time instanceof Date ? t.time.toLocaleTimeString() : String(t.time);
    logPush(`counter/tick (${t.users} ${t.users === 1 ? 'session' : 'sessions'} online)`);
  } else {
    logPush(`${id.fqn} (unhandled)`);
  }
}

try {
  const state = readState(root.dataset.state);
  ui.name.textContent = state.name;
  showCount(state.count);
} catch (err) {
  showReply(`Cannot read the page state: ${err.message}`, true);
}

const chsk = connect('/chsk', {
  type: new URLSearchParams(location.search).get('type'), // null → 'auto'
  onState: (_old, s) => showState(s),
  onHandshake: ({ uid, handshakeData, firstHandshake }) => {
    if (!firstHandshake && uid !== lastUid) {
      // The server had forgotten our session (restarted with its sessions in
      // memory): the client fetched a new token, which came with a new session.
      sessions += 1;
      shownCount = -Infinity; // the new session counts from its own start
      ui.session.hidden = false;
      ui.session.textContent = `New session (${new Date().toLocaleTimeString()}): the server had forgotten the old one, so the count starts again.`;
      logPush('new session');
    }
    lastUid = uid;
    root.dataset.sessions = String(sessions);
    root.dataset.uid = uid ?? '';
    ui.uid.textContent = uid ?? 'none';
    const data = toJS(handshakeData);
    if (data) showCount(data.count); // catch up on what happened while offline
  },
  onEvent,
});
showState(chsk.state);

ui.send.addEventListener('click', async () => {
  showReply('…');
  try {
    const r = toJS(await chsk.request([EV.commtest, { msg: 'Hello World!' }], 5000));
    if (r.error) showReply(`Error: ${r.error}`, true);
    else showReply(`${r.reply} [via ${r.transport}]`);
  } catch (err) {
    showReply(`No reply: ${err.code || err.message}`, true);
  }
});

ui.inc.addEventListener('click', async () => {
  try {
    const r = toJS(await chsk.request([EV.inc], 5000));
    showCount(r.count);
  } catch (err) {
    showReply(`inc failed: ${err.code || err.message}`, true);
  }
});
