// Compiled (never run) by `tsc -p js/tsconfig.json`: a TypeScript front end's
// use of the client, so the declarations stay in step with the API.
import { connect, kw, SenteClient, SenteError, isCbSuccess, CHSK_TIMEOUT, fetchPageCsrfToken, type SenteState } from '../sente.js';
import { parse, stringify, toJS, Keyword } from '../edn.js';

const counterChanged = kw('counter/changed');

const chsk: SenteClient = connect('/chsk', {
  type: 'auto',
  refreshCsrfToken: () => fetchPageCsrfToken('/app'),
  onHandshake: ({ uid, firstHandshake }) => console.log('hello', uid, firstHandshake),
  onEvent: ([id, data]) => {
    if (id === counterChanged) console.log(toJS(data));
  },
  onState: (_old: SenteState, s) => {
    if (s.opened) console.log('open over', s.type);
  },
});

chsk.send(['counter/inc', { by: 1 }]);
chsk.send([kw('counter/inc')], { cb: (reply) => console.log(isCbSuccess(reply), reply === CHSK_TIMEOUT), timeoutMs: 1000 });

async function main(): Promise<void> {
  try {
    const n = toJS(await chsk.request(['counter/get'], 5000)) as { count: number };
    console.log(n.count + 1);
  } catch (err) {
    if (err instanceof SenteError) console.log(err.code);
  }
  const v = parse('{:a 1}');
  if (v instanceof Map) console.log(v.get(kw('a')));
  const id: Keyword = kw('my-app', 'save');
  console.log(stringify([id, { k: [1, 2n, null] }]));
  const off = chsk.on('event', (ev) => console.log(ev[0].fqn));
  off();
  chsk.disconnect();
}
void main();
