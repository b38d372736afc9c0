// Operations (FR-12.3): health and the active processor, counts by status, a retention sweep,
// webhook subscriptions and their deliveries — all from the public API.
import { api } from './api.js';
import { onImageEvent } from './bus.js';
import { announce, h, when } from './dom.js';

const STATUSES = ['pending', 'processing', 'completed', 'failed'];

export function operationsView(root) {
  const health = h('div', { id: 'health' }, 'Loading…');
  const counts = h('div', { class: 'cards', id: 'counts' });
  const sweepResult = h('p', { role: 'status', id: 'sweep-result' });
  const sweep = h('button', { type: 'button', id: 'sweep', onclick: async () => {
    sweep.disabled = true;
    try {
      const r = await api.sweep();
      sweepResult.textContent = `Deleted ${r.deleted_count} expired image(s), ${r.errors} error(s).`;
      announce(sweepResult.textContent);
      loadCounts();
    } catch (e) { sweepResult.textContent = e.message; }
    sweep.disabled = false;
  } }, 'Run a retention sweep now');
  const hooks = h('div', { id: 'webhooks' }, 'Loading…');

  root.append(
    h('h2', {}, 'Health'), health,
    h('h2', {}, 'Images by status'), counts,
    h('h2', {}, 'Retention'), h('p', { class: 'muted' }, 'Deletes every image whose time to live has passed (as the scheduled sweep does).'), sweep, sweepResult,
    h('h2', {}, 'Webhooks'), hooks);

  async function loadHealth() {
    try {
      const { ok, body } = await api.health();
      const details = body?.details || {};
      health.replaceChildren(h('dl', { class: 'meta' },
        h('dt', {}, 'Status'), h('dd', { class: ok ? 'msg-ok' : 'msg-error', id: 'health-status' }, body?.status ?? 'unreachable'),
        h('dt', {}, 'Service'), h('dd', {}, `${body?.service ?? '?'} ${body?.version ?? ''}`),
        ...Object.entries(body?.checks || {}).flatMap(([k, v]) => [h('dt', {}, `Check: ${k}`), h('dd', {}, typeof v === 'object' ? JSON.stringify(v) : String(v))]),
        h('dt', {}, 'Image processor'), h('dd', { id: 'processor' }, details['image-processor'] ?? '—')));
    } catch (e) { health.textContent = e.message; }
  }

  async function loadCounts() {
    try {
      const totals = await Promise.all(STATUSES.map(s => api.list(0, 1, s).then(r => r.total)));
      counts.replaceChildren(...STATUSES.map((s, i) => h('a', { class: 'card', href: `#/?status=${s}`, 'data-status': s },
        h('div', { class: 'n' }, String(totals[i])), h('div', {}, s))));
    } catch (e) { counts.textContent = e.message; }
  }

  async function loadHooks() {
    try {
      const { items } = await api.webhooks();
      if (!items.length) { hooks.replaceChildren(h('p', { class: 'muted' }, 'No subscriptions (POST /api/v1/webhooks).')); return; }
      hooks.replaceChildren(h('table', {},
        h('thead', {}, h('tr', {}, ...['URL', 'Events', 'Since', 'Deliveries'].map(t => h('th', { scope: 'col' }, t)))),
        h('tbody', {}, ...items.map(s => {
          const deliveries = h('tr', { hidden: true }, h('td', { colspan: '4' }));
          const toggle = h('button', { type: 'button', 'aria-expanded': 'false', onclick: async () => {
            const open = toggle.getAttribute('aria-expanded') !== 'true';
            toggle.setAttribute('aria-expanded', String(open));
            deliveries.hidden = !open;
            if (!open) return;
            const cell = deliveries.firstChild;
            cell.textContent = 'Loading…';
            try {
              const list = await api.deliveries(s.id);
              cell.replaceChildren(list.items.length ? h('table', {},
                h('thead', {}, h('tr', {}, ...['Event', 'Type', 'Status', 'Attempts', 'Last answer', 'Next attempt'].map(t => h('th', { scope: 'col' }, t)))),
                h('tbody', {}, ...list.items.map(d => h('tr', {},
                  h('td', {}, d.event_id), h('td', {}, d.type), h('td', {}, d.status), h('td', {}, String(d.attempts)),
                  h('td', {}, d.last_status_code ?? d.last_error ?? '—'), h('td', {}, when(d.next_attempt_at)))))) : h('p', { class: 'muted' }, 'No deliveries yet.'));
            } catch (e) { cell.textContent = e.message; }
          } }, 'Deliveries');
          return [h('tr', {}, h('td', {}, s.url), h('td', {}, s.events.join(', ')), h('td', {}, when(s.created_at)), h('td', {}, toggle)), deliveries];
        }).flat())));
    } catch (e) { hooks.textContent = e.message; }
  }

  loadHealth();
  loadCounts();
  loadHooks();
  let pending = null;
  const unsubscribe = onImageEvent(() => { clearTimeout(pending); pending = setTimeout(loadCounts, 1000); });
  const timer = setInterval(loadHealth, 30000);
  return { dispose() { unsubscribe(); clearInterval(timer); clearTimeout(pending); } };
}
