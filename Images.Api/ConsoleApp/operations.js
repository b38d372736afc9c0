// Operations (FR-12.3): health and the active processor, counts by status, the processing rate and
// the queue's lag (GET /api/v1/stats), a retention sweep, webhook subscriptions and their
// deliveries — all from the public API.
import { api } from './api.js';
import { onImageEvent } from './bus.js';
import { announce, h, when } from './dom.js';

const STATUSES = ['pending', 'processing', 'completed', 'failed'];

export function operationsView(root) {
  const health = h('div', { id: 'health' }, 'Loading…');
  const counts = h('div', { class: 'cards', id: 'counts' });
  const rate = h('div', { id: 'rate' });
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
    h('h2', {}, 'Processing'), rate,
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
      const stats = await api.stats();
      counts.replaceChildren(...STATUSES.map(s => h('a', { class: 'card', href: `#/?status=${s}`, 'data-status': s },
        h('div', { class: 'n' }, String(stats.counts[s] ?? 0)), h('div', {}, s))));
      rate.replaceChildren(rateView(stats));
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
  // The lag grows while nothing happens: the figures are read again now and then, events or not.
  const statsTimer = setInterval(loadCounts, 15000);
  return { dispose() { unsubscribe(); clearInterval(timer); clearInterval(statsTimer); clearTimeout(pending); } };
}

const duration = seconds => seconds < 90 ? `${Math.round(seconds)} s` : seconds < 5400 ? `${Math.round(seconds / 60)} min` : `${(seconds / 3600).toFixed(1)} h`;

/** The queue's lag and a bar chart of outcomes per minute (completed, failed stacked), with its table for screen readers. */
function rateView(stats) {
  const minutes = stats.processed_per_minute;
  const last5 = minutes.slice(-5).reduce((n, m) => n + m.completed + m.failed, 0);
  const peak = Math.max(1, ...minutes.map(m => m.completed + m.failed));
  const width = 600, height = 120, bar = width / minutes.length;
  const svgNs = 'http://www.w3.org/2000/svg';
  const svg = document.createElementNS(svgNs, 'svg');
  svg.setAttribute('viewBox', `0 0 ${width} ${height + 16}`);
  svg.setAttribute('class', 'chart');
  svg.setAttribute('role', 'img');
  svg.setAttribute('aria-labelledby', 'rate-caption');
  const rect = (x, y, w, hgt, cls) => {
    const r = document.createElementNS(svgNs, 'rect');
    for (const [k, v] of Object.entries({ x, y, width: w, height: hgt, class: cls })) r.setAttribute(k, String(v));
    return r;
  };
  minutes.forEach((m, i) => {
    const ok = (m.completed / peak) * height, bad = (m.failed / peak) * height;
    if (ok > 0) svg.append(rect(i * bar + 1, height - ok, bar - 2, ok, 'bar-ok'));
    if (bad > 0) svg.append(rect(i * bar + 1, height - ok - bad, bar - 2, bad, 'bar-failed'));
  });
  const axis = document.createElementNS(svgNs, 'text');
  axis.setAttribute('x', '0'); axis.setAttribute('y', String(height + 14)); axis.setAttribute('class', 'axis');
  axis.textContent = `${minutes.length} min ago · peak ${peak}/min · now`;
  svg.append(axis);
  return h('div', {},
    h('dl', { class: 'meta' },
      h('dt', {}, 'Queue lag'), h('dd', { id: 'queue-lag' }, stats.oldest_pending_at ? `${duration(stats.queue_lag_seconds)} (oldest pending image)` : 'none waiting'),
      h('dt', {}, 'Processed'), h('dd', { id: 'rate-now' }, `${last5} in the last 5 minutes (${(last5 / 5).toFixed(1)}/min)`)),
    h('figure', {},
      svg,
      h('figcaption', { id: 'rate-caption' }, 'Images processed per minute, last 30 minutes (completed; failed stacked on top).'),
      h('details', {}, h('summary', {}, 'As a table'),
        h('table', { id: 'rate-table' },
          h('thead', {}, h('tr', {}, ...['Minute', 'Completed', 'Failed'].map(t => h('th', { scope: 'col' }, t)))),
          h('tbody', {}, ...minutes.filter(m => m.completed + m.failed > 0).map(m =>
            h('tr', {}, h('td', {}, new Date(m.minute).toLocaleTimeString()), h('td', {}, String(m.completed)), h('td', {}, String(m.failed)))))))));
}
