// GET /api/v1/events read with fetch(), not EventSource: EventSource cannot send the X-API-Key
// header, and the key must never go into a URL. Reconnects with Last-Event-ID, so no event is missed
// across a dropped connection (FR-12.1).
import { send, storedKey } from './api.js';

export function followEvents({ onEvent, onReset, onState }) {
  let lastId = null;
  let stopped = false;
  let controller = null;

  async function run() {
    let delay = 1000;
    while (!stopped) {
      controller = new AbortController();
      try {
        onState('connecting');
        const headers = { Accept: 'text/event-stream' };
        if (lastId !== null) headers['Last-Event-ID'] = lastId;
        const key = storedKey();
        if (key) headers['X-API-Key'] = key;
        let response = await fetch('/api/v1/events', { headers, signal: controller.signal, cache: 'no-store' });
        if (response.status === 401) {
          // Let the shared path ask for the key, then open the stream again.
          response = await send('GET', '/api/v1/events', { accept: 'text/event-stream', signal: controller.signal });
        }
        if (!response.ok || !response.body) throw new Error(`events answered ${response.status}`);
        onState('live');
        delay = 1000;
        await read(response.body.getReader());
      } catch (e) {
        if (stopped) return;
        onState('offline');
      }
      await new Promise(r => setTimeout(r, delay));
      delay = Math.min(delay * 2, 15000);
    }
  }

  async function read(reader) {
    const decoder = new TextDecoder();
    let buffer = '';
    let event = { id: null, type: 'message', data: [] };
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      buffer += decoder.decode(value, { stream: true });
      let newline;
      while ((newline = buffer.search(/\r\n|\r|\n/)) >= 0) {
        const line = buffer.slice(0, newline);
        buffer = buffer.slice(newline + (buffer.startsWith('\r\n', newline) ? 2 : 1));
        if (line === '') {
          // As EventSource does: an id counts even on a block without data (the stream's opening one).
          if (event.id !== null) lastId = event.id;
          if (event.data.length) dispatch(event);
          event = { id: null, type: 'message', data: [] };
        } else if (!line.startsWith(':')) {
          const colon = line.indexOf(':');
          const field = colon < 0 ? line : line.slice(0, colon);
          const text = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
          if (field === 'id') event.id = text;
          else if (field === 'event') event.type = text;
          else if (field === 'data') event.data.push(text);
        }
      }
    }
  }

  function dispatch(event) {
    if (event.id !== null) lastId = event.id;
    const data = JSON.parse(event.data.join('\n'));
    if (event.type === 'reset') onReset(data);
    else onEvent(event.type, data);
  }

  run();
  return { stop() { stopped = true; controller?.abort(); } };
}
