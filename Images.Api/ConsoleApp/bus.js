// Image events from the stream, handed to the view on screen.
const listeners = new Set();

/** A view subscribes while it is shown; returns the unsubscribe function. */
export function onImageEvent(handler) { listeners.add(handler); return () => listeners.delete(handler); }

export function publish(type, image, payload) { for (const l of [...listeners]) l(type, image, payload); }

export function clear() { listeners.clear(); }
