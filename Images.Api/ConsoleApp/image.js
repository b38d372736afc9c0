// One image (FR-12.3): where it is and why — status, error, metadata, EXIF, every rendition and
// format, its near-duplicates — and what can be done: process again, delete, copy a signed URL.
import { api, imageSource, signedUrlsAvailable } from './api.js';
import { onImageEvent } from './bus.js';
import { announce, bytes, h, statusBadge, when } from './dom.js';
import { dropPlaceholder, placeholderBackground } from './thumbhash.js';

export function imageView(root, id) {
  const blobs = [];
  let disposed = false;
  const status = h('p', { role: 'status', class: 'muted' }, 'Loading…');
  root.append(h('p', {}, h('a', { href: '#/' }, '← All images')), status);

  const track = src => { if (src.startsWith('blob:')) blobs.push(src); return src; };

  async function show() {
    let image;
    try {
      image = await api.get(id);
    } catch (e) {
      status.textContent = e.status === 404 ? 'This image does not exist (it was deleted or expired).' : e.message;
      status.className = 'error';
      return;
    }
    if (disposed) return;
    shownAt = image.updated_at;
    for (const b of blobs.splice(0)) URL.revokeObjectURL(b);
    root.replaceChildren(h('p', {}, h('a', { href: '#/' }, '← All images')), ...render(image));
  }

  // When the page was last drawn from: an event about the same state (e.g. the one that follows
  // "Process again", which already redrew it) draws nothing again and fetches nothing.
  let shownAt = null;

  function render(image) {
    const message = h('p', { role: 'status', id: 'action-message' });
    // While an image loads its box shows the ThumbHash placeholder (FR-9.1) over the dominant colour.
    const placeholder = placeholderBackground(image);
    const preview = h('div', { class: 'preview', id: 'preview', style: `background:${placeholder}`, 'data-placeholder': placeholder.includes('url(') ? 'thumbhash' : 'colour' });
    if (image.width && image.height) preview.style.aspectRatio = `${image.width} / ${image.height}`;
    const largest = [...(image.renditions || [])].sort((a, b) => b.width - a.width)[0];
    if (image.thumbnail_available || largest) {
      const img = h('img', { class: 'main', id: 'preview-image', alt: `Preview of ${image.filename}` });
      img.addEventListener('load', () => { preview.style.background = 'none'; preview.dataset.loaded = 'true'; });
      preview.append(img);
      const what = largest && largest.name !== 'thumbnail' ? { rendition: largest.name, format: 'jpeg' } : { thumbnail: true };
      imageSource(image.id, what).then(src => { img.src = track(src); }).catch(e => { img.alt = e.message; });
    } else {
      preview.append(h('p', { class: 'muted', style: 'padding:12px' }, image.status === 'failed' ? 'No preview: processing failed.' : 'No preview yet: waiting for processing.'));
    }

    const meta = h('dl', { class: 'meta' },
      ...[
        ['Status', statusBadge(image.status)],
        ['Filename', image.filename],
        ['Id', image.id],
        ['Format', image.format],
        ['Content type', image.content_type],
        ['Size', bytes(image.size_bytes)],
        ['Pixels', image.width ? `${image.width} × ${image.height}` : '—'],
        ['Channels', image.channels ?? '—'],
        ['Alpha', image.has_alpha === null || image.has_alpha === undefined ? '—' : image.has_alpha ? 'yes' : 'no'],
        ['Frames', image.frames ?? '—'],
        ['Tags', image.tags.length ? image.tags.join(', ') : '—'],
        ['Uploaded', when(image.created_at)],
        ['Updated', when(image.updated_at)],
        ['Expires', image.expires_at ? when(image.expires_at) : 'never'],
        ['Dominant colour', image.dominant_color ?? '—'],
        ['Perceptual hash', image.phash ?? '—'],
        ['SHA-256', image.content_hash],
      ].flatMap(([k, v]) => [h('dt', {}, k), h('dd', {}, v)]));

    const error = image.error ? h('div', { class: 'panel', role: 'alert' }, h('h2', {}, 'Why it failed'), h('p', { class: 'error', id: 'image-error' }, image.error)) : null;

    const exif = image.exif ? h('section', { 'aria-labelledby': 'exif-title' }, h('h2', { id: 'exif-title' }, 'EXIF'),
      h('dl', { class: 'meta' }, ...Object.entries(image.exif).filter(([, v]) => v !== null && v !== undefined)
        .flatMap(([k, v]) => [h('dt', {}, k.replaceAll('_', ' ')), h('dd', {}, typeof v === 'object' ? Object.entries(v).map(([a, b]) => `${a} ${b}`).join(', ') : String(v))]))) : null;

    const renditions = h('div', { class: 'renditions', id: 'renditions' });
    for (const r of image.renditions || []) {
      for (const format of r.formats) {
        const img = h('img', { alt: `${r.name} as ${format}, ${r.width}×${r.height}`, loading: 'lazy', style: `background:${placeholder}`, onload: dropPlaceholder, width: String(Math.min(r.width, 200)) });
        renditions.append(h('figure', {}, img, h('figcaption', { class: 'muted' }, `${r.name} · ${format} · ${r.width}×${r.height}`)));
        imageSource(image.id, { rendition: r.name, format }).then(src => { img.src = track(src); }).catch(e => { img.alt = `${img.alt}: ${e.message}`; });
      }
    }

    const similar = h('div', { class: 'strip', id: 'similar' }, h('span', { class: 'muted' }, image.status === 'completed' ? 'Looking…' : 'Once processed.'));
    if (image.status === 'completed') {
      api.similar(image.id).then(result => {
        similar.replaceChildren(...(result.items.length ? result.items.map(s => {
          const img = h('img', { class: 'thumb', alt: '', style: `background:${placeholderBackground(s)}`, onload: dropPlaceholder });
          if (s.thumbnail_available) imageSource(s.id, { thumbnail: true }).then(src => { img.src = track(src); }).catch(() => {});
          return h('a', { href: `#/images/${s.id}` }, img, `${s.filename} (distance ${s.distance})`);
        }) : [h('span', { class: 'muted' }, 'No near-duplicates.')]));
      }).catch(e => similar.replaceChildren(h('span', { class: 'error' }, e.message)));
    }

    const reprocess = h('button', { type: 'button', id: 'reprocess', onclick: async () => {
      reprocess.disabled = true;
      message.textContent = 'Processing…';
      try { await api.process(image.id); announce('Processed again.'); await show(); }
      catch (e) { message.textContent = e.message; message.className = 'error'; reprocess.disabled = false; }
    } }, 'Process again');
    const remove = h('button', { type: 'button', class: 'danger', id: 'delete', onclick: async () => {
      if (!confirm(`Delete ${image.filename}? Its original, thumbnail and renditions go too (a shared original stays for the other images).`)) return;
      try { await api.remove(image.id); announce('Deleted.'); location.hash = '#/'; }
      catch (e) { message.textContent = e.message; message.className = 'error'; }
    } }, 'Delete');
    const copy = h('button', { type: 'button', id: 'copy-url', onclick: async () => {
      try {
        const signed = await api.sign(image.id, null, null);
        const url = new URL(signed.url, location.origin).href;
        await navigator.clipboard.writeText(url).catch(() => {});
        message.className = '';
        message.replaceChildren('Signed URL of the original, valid until ', when(signed.expires_at), ': ', h('code', { id: 'signed-url' }, url));
      } catch (e) {
        message.className = 'error';
        message.textContent = e.status === 501 ? 'Signed URLs are off: the service has no IMG_URL_SIGNING_KEYS.' : e.message;
      }
    } }, 'Copy signed URL');
    if (signedUrlsAvailable() === false) copy.title = 'The service has no URL signing keys';

    return [
      h('h2', { id: 'image-title' }, image.filename),
      error,
      h('div', { class: 'detail' },
        h('section', { 'aria-label': 'Preview' }, preview, h('div', { class: 'actions' }, reprocess, remove, copy), message),
        h('section', { 'aria-label': 'Metadata' }, meta)),
      exif,
      h('section', { 'aria-labelledby': 'renditions-title' }, h('h2', { id: 'renditions-title' }, 'Renditions'),
        (image.renditions || []).length ? renditions : h('p', { class: 'muted' }, 'None yet.')),
      h('section', { 'aria-labelledby': 'similar-title' }, h('h2', { id: 'similar-title' }, 'Near-duplicates'), similar),
    ];
  }

  const unsubscribe = onImageEvent((type, image) => {
    if (image.id !== id) return;
    if (type === 'image.deleted') { root.replaceChildren(h('p', {}, h('a', { href: '#/' }, '← All images')), h('p', { role: 'status' }, 'This image was deleted.')); return; }
    if (image.updated_at && image.updated_at === shownAt) return;
    show();
  });

  show();
  return { dispose() { disposed = true; unsubscribe(); for (const b of blobs) URL.revokeObjectURL(b); } };
}
