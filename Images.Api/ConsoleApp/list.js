// Upload and the live list (FR-12.3): newest first, filtered by status, tag and filename by the API,
// paged; rows change as events arrive.
import { api, imageSource, upload } from './api.js';
import { onImageEvent } from './bus.js';
import { announce, bytes, h, statusBadge, when } from './dom.js';
import { dropPlaceholder, placeholderBackground } from './thumbhash.js';

const PAGE = 20;
const STATUSES = ['pending', 'processing', 'completed', 'failed'];

export function listView(root, params) {
  const status = STATUSES.includes(params.get('status')) ? params.get('status') : '';
  const tag = (params.get('tag') || '').trim();
  const filename = (params.get('filename') || '').trim();
  const page = Math.max(0, parseInt(params.get('page') || '0', 10) || 0);
  const rows = new Map();
  let total = 0;

  const uploads = h('ul', { class: 'uploads', 'aria-label': 'Uploads' });
  const fileInput = h('input', { type: 'file', id: 'file-input', multiple: true, class: 'visually-hidden', 'aria-label': 'Choose image files', tabindex: '-1' });
  const tags = h('input', { id: 'tags-input', type: 'text', placeholder: 'e.g. holiday, beach', 'aria-describedby': 'tags-help' });
  const ttl = h('input', { id: 'ttl-input', type: 'number', min: '1', max: '8760', inputmode: 'numeric', 'aria-describedby': 'ttl-help' });
  const drop = h('div', { class: 'drop', id: 'drop-zone' },
    h('p', {}, 'Drop images here, or '),
    h('button', { type: 'button', class: 'primary', id: 'pick-files', onclick: () => fileInput.click() }, 'Choose files…'),
    fileInput);

  drop.addEventListener('dragover', e => { e.preventDefault(); drop.classList.add('over'); });
  drop.addEventListener('dragleave', () => drop.classList.remove('over'));
  drop.addEventListener('drop', e => { e.preventDefault(); drop.classList.remove('over'); send([...e.dataTransfer.files]); });
  fileInput.addEventListener('change', () => { send([...fileInput.files]); fileInput.value = ''; });

  function send(files) {
    for (const file of files) {
      const bar = h('progress', { max: '1', value: '0', 'aria-label': `Upload of ${file.name}` });
      const message = h('span', { class: 'muted', role: 'status' }, 'Uploading…');
      const item = h('li', { 'data-file': file.name }, h('span', {}, file.name), bar, message);
      uploads.append(item);
      upload(file, { tags: tags.value.trim(), ttlHours: ttl.value.trim() }, fraction => { bar.value = fraction; })
        .then(image => {
          bar.value = 1;
          message.className = 'msg-ok';
          message.replaceChildren('Uploaded — ', h('a', { href: `#/images/${image.id}` }, 'open'), ` (${image.status})`);
          item.dataset.result = 'ok';
        })
        .catch(error => {
          message.className = 'msg-error';
          message.textContent = error.message;
          item.dataset.result = String(error.status);
          announce(`${file.name}: ${error.message}`);
        });
    }
  }

  const statusSelect = h('select', { id: 'status-filter' },
    h('option', { value: '' }, 'All'),
    ...STATUSES.map(s => h('option', { value: s, selected: s === status }, s)));
  const tagFilter = h('input', { id: 'tag-filter', type: 'search', value: tag, placeholder: 'exact tag', maxlength: '64' });
  const find = h('input', { id: 'find-input', type: 'search', value: filename, placeholder: 'part of a filename', maxlength: '255' });
  // The filters live in the address (a view can be bookmarked or shared); the API applies them.
  const filters = h('form', { class: 'row', role: 'search', 'aria-label': 'Filter images', onsubmit: e => { e.preventDefault(); go(0); } },
    h('div', { class: 'field' }, h('label', { for: 'status-filter' }, 'Status'), statusSelect),
    h('div', { class: 'field' }, h('label', { for: 'tag-filter' }, 'Tag'), tagFilter),
    h('div', { class: 'field' }, h('label', { for: 'find-input' }, 'Filename contains'), find),
    h('div', { class: 'field' }, h('button', { type: 'submit', id: 'apply-filters' }, 'Filter')));
  statusSelect.addEventListener('change', () => go(0));

  const body = h('tbody');
  const summary = h('p', { class: 'muted', id: 'list-summary', 'aria-live': 'polite' });
  const prev = h('button', { type: 'button', onclick: () => go(page - 1) }, 'Previous');
  const next = h('button', { type: 'button', onclick: () => go(page + 1) }, 'Next');

  root.append(
    h('section', { class: 'panel', 'aria-labelledby': 'upload-title' },
      h('h2', { id: 'upload-title' }, 'Upload'),
      h('div', { class: 'row' },
        h('div', { class: 'field' }, h('label', { for: 'tags-input' }, 'Tags'), tags,
          h('small', { id: 'tags-help', class: 'muted' }, 'comma-separated, at most 20')),
        h('div', { class: 'field' }, h('label', { for: 'ttl-input' }, 'Time to live (hours)'), ttl,
          h('small', { id: 'ttl-help', class: 'muted' }, '1–8760; empty keeps it'))),
      drop, uploads),
    h('section', { 'aria-labelledby': 'list-title' },
      h('h2', { id: 'list-title' }, 'Images'),
      filters,
      h('table', { id: 'image-table' },
        h('caption', { class: 'visually-hidden' }, 'Images, newest first'),
        h('thead', {}, h('tr', {}, ...['Preview', 'File', 'Status', 'Size', 'Pixels', 'Tags', 'Uploaded'].map(t => h('th', { scope: 'col' }, t)))),
        body),
      h('div', { class: 'pager' }, prev, summary, next)));

  // Page p of the filters as they are in the form now.
  function go(p) {
    const q = new URLSearchParams();
    if (statusSelect.value) q.set('status', statusSelect.value);
    if (tagFilter.value.trim()) q.set('tag', tagFilter.value.trim());
    if (find.value.trim()) q.set('filename', find.value.trim());
    if (p > 0) q.set('page', String(p));
    location.hash = `#/?${q}`;
  }

  /** Whether an image belongs in this view (what the API would answer for these filters). */
  function matches(image) {
    return (!status || image.status === status)
      && (!tag || image.tags.includes(tag))
      && (!filename || image.filename.toLowerCase().includes(filename.toLowerCase()));
  }

  // blob: URLs made for thumbnails (without signed URLs), by image id: revoked when their row goes.
  const blobs = new Map();
  const release = id => { const b = blobs.get(id); if (b) { URL.revokeObjectURL(b); blobs.delete(id); } };

  function render(image, previous) {
    const thumb = h('img', { class: 'thumb', alt: '', width: '64', height: '48', style: `background:${placeholderBackground(image)}`, onload: dropPlaceholder });
    const row = h('tr', { 'data-id': image.id, 'data-status': image.status },
      h('td', {}, thumb),
      h('td', {}, h('a', { href: `#/images/${image.id}` }, image.filename || image.id)),
      h('td', {}, statusBadge(image.status)),
      h('td', {}, bytes(image.size_bytes)),
      h('td', {}, image.width ? `${image.width}×${image.height}` : '—'),
      h('td', {}, image.tags.join(', ')),
      h('td', {}, when(image.created_at)));
    const shown = previous?.row.thumb?.getAttribute('src');
    if (shown && previous.image.thumbnail_available && previous.image.updated_at === image.updated_at) {
      // The same thumbnail as the row shown (an event repeated what the list said): no new request.
      thumb.src = shown;
    } else if (image.thumbnail_available) {
      // A page is 20 rows: each thumbnail is fetched once its row is shown.
      imageSource(image.id, { thumbnail: true }).then(src => {
        if (src.startsWith('blob:')) { release(image.id); blobs.set(image.id, src); }
        thumb.src = src;
      }).catch(e => { thumb.title = e.message; });
    }
    row.thumb = thumb;
    return row;
  }

  function put(image, { prepend = false, previous = rows.get(image.id) } = {}) {
    const existing = rows.get(image.id);
    const row = render(image, previous);
    if (existing) existing.row.replaceWith(row);
    else if (prepend) body.prepend(row);
    else body.append(row);
    rows.set(image.id, { row, image });
  }

  function remove(id) {
    const existing = rows.get(id);
    if (!existing) return;
    existing.row.remove();
    rows.delete(id);
    release(id);
  }

  function updateSummary() {
    const from = total === 0 ? 0 : page * PAGE + 1;
    const to = Math.min(total, page * PAGE + rows.size);
    summary.textContent = total === 0 ? 'No images.' : `${from}–${to} of ${total}`;
    prev.disabled = page === 0;
    next.disabled = (page + 1) * PAGE >= total;
  }

  // Events that arrive while a page is being fetched wait for it, then apply on top of it: the
  // page may have been read before they committed.
  let arriving = null;

  async function load() {
    arriving = [];
    try {
      const result = await api.list(page * PAGE, PAGE, { status, tag, filename });
      total = result.total;
      const before = new Map(rows);
      body.replaceChildren();
      rows.clear();
      for (const image of result.items) put(image, { previous: before.get(image.id) });
      for (const id of before.keys()) if (!rows.has(id)) release(id);
      updateSummary();
    } catch (e) {
      summary.textContent = e.message;
    } finally {
      const queued = arriving;
      arriving = null;
      for (const [type, image] of queued) apply(type, image);
    }
  }

  const unsubscribe = onImageEvent((type, image) => {
    if (arriving) arriving.push([type, image]);
    else apply(type, image);
  });

  function apply(type, image) {
    if (type === 'image.deleted') {
      if (rows.has(image.id)) { remove(image.id); total = Math.max(0, total - 1); updateSummary(); }
      return;
    }
    const fits = matches(image);
    if (type === 'image.created') {
      if (fits && !rows.has(image.id)) {
        total++;
        if (page === 0) {
          put(image, { prepend: true });
          if (rows.size > PAGE) remove(body.lastElementChild.dataset.id);
        }
        updateSummary();
      }
      return;
    }
    // completed or failed: the row changes in place; under a status filter it comes or goes.
    if (rows.has(image.id)) {
      if (fits) put(image);
      else { remove(image.id); total = Math.max(0, total - 1); }
      updateSummary();
    } else if (fits && status && page === 0) {
      total++;
      put(image, { prepend: true });
      updateSummary();
    }
  }

  load();
  return { dispose() { unsubscribe(); for (const id of [...blobs.keys()]) release(id); } };
}
