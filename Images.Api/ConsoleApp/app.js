// The console (FR-12.3): a hash router over three views, fed by the public API and its event stream.
import { send } from './api.js';
import { clear, publish } from './bus.js';
import { followEvents } from './events.js';
import { h } from './dom.js';
import { listView } from './list.js';
import { imageView } from './image.js';
import { operationsView } from './operations.js';

const main = document.getElementById('main');
const liveState = document.getElementById('live-state');
let current = null;

function route() {
  // The skip link's target is not a view.
  if (location.hash === '#main') { main.focus(); return; }
  current?.dispose?.();
  clear();
  main.replaceChildren();
  const hash = location.hash.replace(/^#/, '') || '/';
  const [path, query] = hash.split('?');
  const params = new URLSearchParams(query || '');
  const image = path.match(/^\/images\/([0-9a-fA-F-]{36})$/);
  let section = 'list';
  if (image) { current = imageView(main, image[1]); section = 'image'; }
  else if (path === '/operations') { current = operationsView(main); section = 'operations'; }
  else current = listView(main, params);
  for (const link of document.querySelectorAll('[data-nav]')) {
    if (link.dataset.nav === section) link.setAttribute('aria-current', 'page');
    else link.removeAttribute('aria-current');
  }
}

async function start() {
  // One probe: with a key set on the service, the API answers 401 and the console asks for it once.
  try {
    const probe = await send('GET', '/api/v1/images/?limit=1');
    if (!probe.ok && probe.status !== 429) {
      main.replaceChildren(h('p', { class: 'error' }, `The API answered ${probe.status}.`));
    }
  } catch (e) {
    main.replaceChildren(h('p', { class: 'error' }, e.message));
  }
  // The first view is read once the event stream is open (its start is fixed before it answers),
  // so nothing that commits in between is missed; should the stream not open, after 3 s anyway.
  let routed = false;
  const first = () => { if (!routed) { routed = true; window.addEventListener('hashchange', route); route(); } };
  setTimeout(first, 3000);
  followEvents({
    onEvent: (type, payload) => publish(type, payload.data, payload),
    onReset: () => route(),
    onState: state => {
      liveState.textContent = state === 'live' ? 'Live: updates as they happen' : state === 'connecting' ? 'Connecting…' : 'Offline: reconnecting…';
      liveState.dataset.state = state;
      if (state === 'live') first();
    },
  });
}

start();
