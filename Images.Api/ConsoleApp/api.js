// Everything the console does goes through the public API (FR-12.3): this module is its only door.
// The API key, when the service has one, is asked once, kept in sessionStorage (this tab only),
// and sent as the X-API-Key header; it never goes into a URL.
const KEY = 'images-console-api-key';

export class ProblemError extends Error {
  constructor(status, problem, retryAfter) {
    super(describeProblem(status, problem, retryAfter));
    this.status = status;
    this.problem = problem;
  }
}

/** A sentence for a person, from an RFC 9457 problem (the API's errors) and its status. */
export function describeProblem(status, problem, retryAfter) {
  const detail = problem?.detail || problem?.title || '';
  const fields = problem?.errors ? Object.entries(problem.errors).map(([k, v]) => `${k}: ${[].concat(v).join(' ')}`).join('; ') : '';
  switch (status) {
    case 413: return `Too large (413): ${detail || 'the file is over the upload limit.'}`;
    case 415: return `Not a supported image (415): ${detail || 'JPEG, PNG, WebP, TIFF, GIF, HEIC or AVIF only.'}`;
    case 422: return `Rejected (422): ${fields || detail}`;
    case 429: return `Too many requests (429): try again${retryAfter ? ` in ${retryAfter} s` : ' later'}.`;
    case 401: return 'The API key was refused (401).';
    case 0: return 'The service could not be reached.';
    default: return `${status}: ${detail || fields || 'request failed'}`;
  }
}

let keyPrompt = null;

export function storedKey() { return sessionStorage.getItem(KEY); }

function headers(extra = {}) {
  const h = { ...extra };
  const key = storedKey();
  if (key) h['X-API-Key'] = key;
  return h;
}

/** Asks for the key (one dialog at a time) and resolves once the user gave one. */
export function askForKey(message = '') {
  if (keyPrompt) return keyPrompt;
  const dialog = document.getElementById('key-dialog');
  const form = document.getElementById('key-form');
  const input = document.getElementById('key-input');
  document.getElementById('key-error').textContent = message;
  keyPrompt = new Promise(resolve => {
    form.addEventListener('submit', () => {
      sessionStorage.setItem(KEY, input.value.trim());
      input.value = '';
      keyPrompt = null;
      resolve();
    }, { once: true });
  });
  dialog.addEventListener('cancel', e => e.preventDefault());
  dialog.showModal();
  input.focus();
  return keyPrompt;
}

/** fetch() with the key; a 401 asks for the key again and retries. Returns the Response. */
export async function send(method, path, { body, json, accept, signal } = {}) {
  for (let attempt = 0; ; attempt++) {
    const h = headers(accept ? { Accept: accept } : {});
    let payload = body;
    if (json !== undefined) { h['Content-Type'] = 'application/json'; payload = JSON.stringify(json); }
    let response;
    try {
      response = await fetch(path, { method, headers: h, body: payload, signal, cache: 'no-cache' });
    } catch (e) {
      if (e.name === 'AbortError') throw e;
      throw new ProblemError(0, null);
    }
    if (response.status === 401 && attempt < 3) {
      await askForKey(storedKey() ? 'That key was refused; try again.' : '');
      continue;
    }
    return response;
  }
}

async function problemOf(response) {
  try { return await response.json(); } catch { return null; }
}

/** JSON from the API, or a ProblemError with a readable message. */
export async function call(method, path, options = {}) {
  const response = await send(method, path, options);
  if (response.status === 204) return null;
  if (!response.ok) throw new ProblemError(response.status, await problemOf(response), response.headers.get('Retry-After'));
  return response.json();
}

export const api = {
  list: (offset, limit, { status, tag, filename } = {}) => {
    const q = new URLSearchParams({ offset: String(offset), limit: String(limit) });
    if (status) q.set('status', status);
    if (tag) q.set('tag', tag);
    if (filename) q.set('filename', filename);
    return call('GET', `/api/v1/images/?${q}`);
  },
  stats: () => call('GET', '/api/v1/stats'),
  get: id => call('GET', `/api/v1/images/${id}`),
  similar: id => call('GET', `/api/v1/images/${id}/similar?limit=12`),
  process: id => call('POST', `/api/v1/images/${id}/process`),
  remove: id => call('DELETE', `/api/v1/images/${id}`),
  sign: (id, rendition, format) => call('POST', `/api/v1/images/${id}/signed-urls`, { json: { rendition: rendition ?? null, format: format ?? null, expires_in: 3600 } }),
  sweep: () => call('POST', '/api/v1/retention/sweep'),
  webhooks: () => call('GET', '/api/v1/webhooks'),
  deliveries: id => call('GET', `/api/v1/webhooks/${id}/deliveries?limit=20`),
  health: async () => {
    const response = await fetch('/health', { cache: 'no-store' });
    return { ok: response.ok, body: await response.json().catch(() => null) };
  },
};

let signing = null; // null: unknown; true: signed URLs work; false: the API answered 501 (no IMG_URL_SIGNING_KEYS)

/**
 * An address an <img> can load: a signed URL when the service signs them (FR-8.5), else the bytes
 * fetched with the key and shown as a blob: URL (the key never goes into an address).
 * `what` is {thumbnail: true} | {rendition, format} | {} (the original).
 */
export async function imageSource(id, what = {}) {
  if (signing !== false) {
    try {
      const rendition = what.thumbnail ? 'thumbnail' : what.rendition;
      const signed = await api.sign(id, rendition, what.thumbnail ? null : what.format);
      signing = true;
      return signed.url;
    } catch (e) {
      if (e.status !== 501) throw e;
      signing = false;
    }
  }
  const path = what.thumbnail ? `/api/v1/images/${id}/download?thumbnail=true`
    : what.rendition ? `/api/v1/images/${id}/renditions/${encodeURIComponent(what.rendition)}?format=${what.format}`
    : `/api/v1/images/${id}/download`;
  const response = await send('GET', path);
  if (!response.ok) throw new ProblemError(response.status, await problemOf(response), response.headers.get('Retry-After'));
  return URL.createObjectURL(await response.blob());
}

/** Whether signed URLs are configured (after the first attempt). */
export const signedUrlsAvailable = () => signing;

/**
 * Uploads one file with XHR (fetch has no upload progress): onProgress(fraction); resolves with the
 * image resource, rejects with a ProblemError whose message explains 413/415/422/429.
 */
export function upload(file, { tags, ttlHours }, onProgress) {
  return new Promise((resolve, reject) => {
    const form = new FormData();
    form.append('file', file, file.name);
    if (tags) form.append('tags', tags);
    if (ttlHours) form.append('ttl_hours', String(ttlHours));
    const xhr = new XMLHttpRequest();
    xhr.open('POST', '/api/v1/images/');
    const key = storedKey();
    if (key) xhr.setRequestHeader('X-API-Key', key);
    xhr.upload.addEventListener('progress', e => { if (e.lengthComputable) onProgress(e.loaded / e.total); });
    xhr.addEventListener('load', () => {
      let body = null;
      try { body = JSON.parse(xhr.responseText); } catch { /* not JSON */ }
      if (xhr.status === 201) resolve(body);
      else if (xhr.status === 401) askForKey('That key was refused; try again.').then(() => upload(file, { tags, ttlHours }, onProgress).then(resolve, reject));
      else reject(new ProblemError(xhr.status, body, xhr.getResponseHeader('Retry-After')));
    });
    xhr.addEventListener('error', () => reject(new ProblemError(xhr.status || 0, null)));
    xhr.send(form);
  });
}
