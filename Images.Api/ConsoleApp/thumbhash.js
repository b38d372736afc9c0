// ThumbHash placeholders (FR-9.1) decoded in the browser: the image's `placeholder` (base64) becomes
// a small picture shown while the real one loads. Written from the format's description, as the
// tests' C# reader (Images.Tests/Support/ThumbHashDecoder.cs) is, and checked against it.

/** The placeholder's pixels: at most 32 px on the longer side, RGBA 0-255. */
export function decodeThumbHash(hash) {
  const h24 = hash[0] | (hash[1] << 8) | (hash[2] << 16);
  const h16 = hash[3] | (hash[4] << 8);
  const lDc = (h24 & 63) / 63;
  const pDc = ((h24 >> 6) & 63) / 31.5 - 1;
  const qDc = ((h24 >> 12) & 63) / 31.5 - 1;
  const lScale = ((h24 >> 18) & 31) / 31;
  const hasAlpha = (h24 >> 23) !== 0;
  const pScale = ((h16 >> 3) & 63) / 63;
  const qScale = ((h16 >> 9) & 63) / 63;
  const isLandscape = (h16 >> 15) !== 0;
  const lxRaw = isLandscape ? (hasAlpha ? 5 : 7) : h16 & 7;
  const lyRaw = isLandscape ? h16 & 7 : (hasAlpha ? 5 : 7);
  const lx = Math.max(3, lxRaw);
  const ly = Math.max(3, lyRaw);
  const aDc = hasAlpha ? (hash[5] & 15) / 15 : 1;
  const aScale = hasAlpha ? (hash[5] >> 4) / 15 : 0;
  const start = hasAlpha ? 6 : 5;
  let index = 0;
  // The AC terms of one channel: a triangle of nx by ny cosines, 4 bits each, after the header.
  const channel = (nx, ny, scale) => {
    const ac = [];
    for (let cy = 0; cy < ny; cy++) {
      for (let cx = cy > 0 ? 0 : 1; cx * ny < nx * (ny - cy); cx++, index++) {
        ac.push((((hash[start + (index >> 1)] >> ((index & 1) * 4)) & 15) / 7.5 - 1) * scale);
      }
    }
    return ac;
  };
  const lAc = channel(lx, ly, lScale);
  const pAc = channel(3, 3, pScale * 1.25);
  const qAc = channel(3, 3, qScale * 1.25);
  const aAc = hasAlpha ? channel(5, 5, aScale) : [];
  const ratio = lxRaw / lyRaw;
  const w = Math.round(ratio > 1 ? 32 : 32 * ratio);
  const h = Math.round(ratio > 1 ? 32 / ratio : 32);
  const rgba = new Uint8ClampedArray(w * h * 4);
  const sum = (ac, nx, ny, x, y) => {
    let v = 0;
    for (let cy = 0, j = 0; cy < ny; cy++) {
      for (let cx = cy > 0 ? 0 : 1; cx * ny < nx * (ny - cy); cx++, j++) {
        v += ac[j] * Math.cos(Math.PI / w * (x + 0.5) * cx) * Math.cos(Math.PI / h * (y + 0.5) * cy) * 2;
      }
    }
    return v;
  };
  const unit = v => Math.min(1, Math.max(0, v));
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const l = lDc + sum(lAc, lx, ly, x, y);
      const p = pDc + sum(pAc, 3, 3, x, y);
      const q = qDc + sum(qAc, 3, 3, x, y);
      const a = hasAlpha ? aDc + sum(aAc, 5, 5, x, y) : 1;
      const b = l - 2 / 3 * p;
      const r = (3 * l - b + q) / 2;
      const g = r - q;
      const o = (y * w + x) * 4;
      rgba[o] = unit(r) * 255;
      rgba[o + 1] = unit(g) * 255;
      rgba[o + 2] = unit(b) * 255;
      rgba[o + 3] = unit(a) * 255;
    }
  }
  return { w, h, rgba };
}

/** A data: URL of the placeholder (a PNG drawn on a canvas), or null when there is none or it is unreadable. */
export function placeholderUrl(base64) {
  if (!base64) return null;
  try {
    const bytes = Uint8Array.from(atob(base64), c => c.charCodeAt(0));
    const { w, h, rgba } = decodeThumbHash(bytes);
    const canvas = document.createElement('canvas');
    canvas.width = w;
    canvas.height = h;
    canvas.getContext('2d').putImageData(new ImageData(rgba, w, h), 0, 0);
    return canvas.toDataURL('image/png');
  } catch {
    return null;
  }
}

/** A load listener for an <img> shown over its placeholder: drops it (it would show through transparent pixels). */
export const dropPlaceholder = e => { e.target.style.background = 'none'; };

/** The CSS background for an image's box while it loads: its placeholder over its dominant colour. */
export function placeholderBackground(image) {
  const url = placeholderUrl(image.placeholder);
  const colour = image.dominant_color || '#e5e7eb';
  return url ? `${colour} center / cover no-repeat url("${url}")` : colour;
}
