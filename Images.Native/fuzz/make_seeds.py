#!/usr/bin/env python3
"""The fuzzer's seed corpus (Images.Native/fuzz/seeds/, committed): small files that reach every
path of the native library. Usage: make_seeds.py [DIR] (default: the seeds folder beside this
script). Needs python3, libjpeg-turbo-progs (cjpeg, jpegtran), webp (cwebp, img2webp), libtiff-tools
(tiffcp), and for GIF, HEIC and AVIF gifsicle, libvips-tools, libheif-examples and libavif-bin:
apt-get install python3 libjpeg-turbo-progs webp libtiff-tools gifsicle libvips-tools libheif-examples libavif-bin. Deterministic: the same tools write the same bytes.

- JPEG: progressive 4:2:0, 4:2:2 and 4:4:4 and grey (the DC-scan decoder at 1/8; restart
  markers every MCU row and every few MCUs), arithmetic-coded progressive (left to libjpeg), a
  baseline file with an EXIF orientation, one of 40 scans over a single DC scan (the scan limit).
- PNG: a tiny RGB file, 16-bit grey+alpha with an eXIf orientation, a palette with tRNS, an
  interlaced file (unsupported natively: a path too), an APNG (acTL frame count), RGB and RGBA
  files of every filter type with the stream cut into several IDAT chunks (png_idat.c).
- WebP: lossless with per-pixel alpha, lossy with an ALPH chunk, lossy with an EXIF orientation,
  animated (lossless and lossy frames), lossless with meta prefix codes (the VP8L scanner).
- TIFF (libtiff-tools' tiffcp compresses and tiles what this script writes): uncompressed RGB,
  LZW with a predictor, Deflate tiles, a 4-bit palette in PackBits, bilevel in CCITT G4, JPEG
  (YCbCr), 16-bit RGBA in planes, YCbCr 4:2:0 (libtiff's RGBA conversion), CMYK, grey with
  associated alpha and orientation 6, two big-endian pages, BigTIFF.
- GIF, HEIC, AVIF: see the section at the end."""
import os, shutil, struct, subprocess, sys, tempfile, zlib

out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(os.path.abspath(__file__)), 'seeds')
os.makedirs(out, exist_ok=True)
for tool in ('cjpeg', 'jpegtran', 'cwebp', 'img2webp', 'tiffcp'):
    if shutil.which(tool) is None:
        sys.exit(f'{tool} is missing: apt-get install libjpeg-turbo-progs webp libtiff-tools')
work = tempfile.mkdtemp()


def write(name, data):
    with open(os.path.join(out, name), 'wb') as f:
        f.write(data)


def run(*args):
    subprocess.run(args, check=True)


# ---- pixels: a photo-like pattern (gradients, a disc, deterministic noise) ----

def photo(w, h, alpha=False):
    seed, pixels = 12345, bytearray()
    for y in range(h):
        for x in range(w):
            seed = (seed * 1103515245 + 12345) & 0x7fffffff
            noise = (seed >> 16) % 24 - 12
            inside = (x - w // 2) ** 2 + (y - h // 2) ** 2 < (min(w, h) // 3) ** 2
            r = x * 255 // max(w - 1, 1) + noise
            g = y * 255 // max(h - 1, 1) - noise
            b = 220 if inside else (x + y) * 3 % 256
            pixel = [max(0, min(255, v)) for v in (r, g, b)]
            if alpha:
                pixel.append(255 if inside else x * 255 // max(w - 1, 1))
            pixels += bytes(pixel)
    return bytes(pixels)


def ppm(w, h):
    path = os.path.join(work, f'{w}x{h}.ppm')
    with open(path, 'wb') as f:
        f.write(b'P6\n%d %d\n255\n' % (w, h) + photo(w, h))
    return path


# ---- PNG ----

def png_chunk(t, d): return struct.pack('>I', len(d)) + t + d + struct.pack('>I', zlib.crc32(t + d) & 0xffffffff)


def png_file(w, h, depth, colour, rows, extra=b'', interlace=0):
    return (b'\x89PNG\r\n\x1a\n' + png_chunk(b'IHDR', struct.pack('>IIBBBBB', w, h, depth, colour, 0, 0, interlace)) + extra
            + png_chunk(b'IDAT', zlib.compress(rows, 9)) + png_chunk(b'IEND', b''))


def filtered(raw, stride):  # filter type 0 on every row
    return b''.join(b'\0' + raw[i:i + stride] for i in range(0, len(raw), stride))


def filtered_each(raw, stride, bpp, types):  # row y filtered with types[y % len(types)] (0-4)
    rows, prev = b'', bytes(stride)
    for y, i in enumerate(range(0, len(raw), stride)):
        row, kind, out = raw[i:i + stride], types[y % len(types)], bytearray()
        for x in range(stride):
            a = row[x - bpp] if x >= bpp else 0
            b, c = prev[x], prev[x - bpp] if x >= bpp else 0
            pa, pb, pc = abs(b - c), abs(a - c), abs(a + b - 2 * c)
            paeth = a if pa <= pb and pa <= pc else b if pb <= pc else c
            out.append((row[x] - (0, a, b, (a + b) // 2, paeth)[kind]) & 0xff)
        rows, prev = rows + bytes([kind]) + bytes(out), row
    return rows


def png_split(w, h, colour, rows, piece):  # the zlib stream cut into IDAT chunks of piece bytes
    stream = zlib.compress(rows, 9)
    idat = b''.join(png_chunk(b'IDAT', stream[i:i + piece]) for i in range(0, len(stream), piece))
    return (b'\x89PNG\r\n\x1a\n' + png_chunk(b'IHDR', struct.pack('>IIBBBBB', w, h, 8, colour, 0, 0, 0)) + idat
            + png_chunk(b'IEND', b''))


def png_rgba(w, h, extra=b''):
    return png_file(w, h, 8, 6, filtered(photo(w, h, alpha=True), 4 * w), extra)


def adam7(w, h, bpp, raw):  # the seven passes of an interlaced image, each row filtered with type 0
    passes = ((0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4), (1, 0, 2, 2), (0, 1, 1, 2))
    data = b''
    for x0, y0, dx, dy in passes:
        for y in range(y0, h, dy):
            row = b''.join(raw[(y * w + x) * bpp:(y * w + x + 1) * bpp] for x in range(x0, w, dx))
            if row:
                data += b'\0' + row
    return data


def exif(orientation, little=True):
    e = '<' if little else '>'
    return (b'Exif\0\0' + (b'II' if little else b'MM') + struct.pack(e + 'HI', 42, 8) + struct.pack(e + 'H', 1)
            + struct.pack(e + 'HHIHH', 0x0112, 3, 1, orientation, 0) + struct.pack(e + 'I', 0))


def grey_alpha16(w, h):
    raw = bytearray()
    for y in range(h):
        for x in range(w):
            raw += struct.pack('>HH', (x * 65535 // (w - 1)) ^ (y * 97), 65535 - y * 65535 // (h - 1))
    return bytes(raw)


def palette(w, h):
    plte = b''.join(bytes((i * 17, 255 - i * 17, (i * 40) % 256)) for i in range(16))
    trns = bytes(255 - i * 16 for i in range(16))
    rows = b''
    for y in range(h):
        nibbles = [((x // 4) + (y // 4)) % 16 for x in range(w)]
        rows += b'\0' + bytes(nibbles[i] << 4 | nibbles[i + 1] for i in range(0, w, 2))
    return png_file(w, h, 4, 3, rows, png_chunk(b'PLTE', plte) + png_chunk(b'tRNS', trns))


write('tiny.png', png_file(2, 2, 8, 2, filtered(photo(2, 2), 6)))
write('grey-alpha16-exif8.png', png_file(40, 30, 16, 4, filtered(grey_alpha16(40, 30), 160), png_chunk(b'eXIf', exif(8)[6:])))
write('palette-trns.png', palette(48, 32))
write('interlaced.png', png_file(40, 30, 8, 6, adam7(40, 30, 4, photo(40, 30, alpha=True)), interlace=1))
fctl = struct.pack('>IIIIIHHBB', 0, 16, 12, 0, 0, 1, 10, 0, 0)
# the library's own IDAT reader (png_idat.c): every filter type, two Paeth rows in a row, the
# stream in several chunks
write('filters-rgb.png', png_split(48, 32, 2, filtered_each(photo(48, 32), 3 * 48, 3, (1, 2, 3, 4, 4, 0)), 700))
write('paeth-rgba.png', png_split(40, 30, 6, filtered_each(photo(40, 30, alpha=True), 4 * 40, 4, (4, 4, 4, 1, 3)), 97))
write('apng.png', png_rgba(16, 12, png_chunk(b'acTL', struct.pack('>II', 2, 0)) + png_chunk(b'fcTL', fctl)))

# ---- JPEG (cjpeg writes any sampling and progressive files; the bytes are libjpeg-turbo's) ----

def cjpeg(name, w, h, *options):
    run('cjpeg', '-quality', '70', *options, '-outfile', os.path.join(out, name), ppm(w, h))


cjpeg('prog420.jpg', 160, 120, '-sample', '2x2', '-progressive')
cjpeg('prog422-rst3b.jpg', 160, 120, '-sample', '2x1', '-progressive', '-restart', '3B')
cjpeg('prog444-rst1.jpg', 120, 90, '-sample', '1x1', '-progressive', '-restart', '1')
cjpeg('progrey-rst2b.jpg', 160, 120, '-grayscale', '-progressive', '-restart', '2B')
cjpeg('prog-arith.jpg', 96, 64, '-progressive', '-arithmetic')
baseline = os.path.join(work, 'baseline.jpg')
run('cjpeg', '-quality', '70', '-outfile', baseline, ppm(120, 80))
with open(baseline, 'rb') as f:
    jpeg = f.read()
app1 = exif(6, little=False)
write('baseline-exif6.jpg', jpeg[:2] + b'\xff\xe1' + struct.pack('>H', len(app1) + 2) + app1 + jpeg[2:])
# jpegtran's own progressive script over the same coefficients, restart markers every 2 MCUs.
run('jpegtran', '-progressive', '-restart', '2B', '-copy', 'all', '-outfile', os.path.join(out, 'baseline-exif6.prog.jpg'),
    os.path.join(out, 'baseline-exif6.jpg'))


def seg(m, d): return b'\xff' + bytes([m]) + struct.pack('>H', len(d) + 2) + d


write('scans.jpg', b'\xff\xd8' + seg(0xDB, b'\0' + b'\x01' * 64) + seg(0xC2, struct.pack('>BHHB', 8, 16, 16, 1) + b'\x01\x11\x00')
      + seg(0xC4, b'\x00' + bytes([1] + [0] * 15) + b'\x00') + seg(0xC4, b'\x10' + bytes([1, 1, 1] + [0] * 13) + b'\xe0\x10\x00')
      + seg(0xDA, b'\x01\x01\x00\x00\x00\x00') + b'\x0f' + (seg(0xDA, b'\x01\x01\x00\x01\x3f\x00') + b'\xbb') * 40 + b'\xff\xd9')

# ---- WebP ----

class Bits:
    def __init__(self): self.bits = []
    def put(self, v, n): self.bits += [(v >> i) & 1 for i in range(n)]
    def code(self, c, n): self.bits += [(c >> i) & 1 for i in range(n - 1, -1, -1)]
    def data(self):
        b = bytearray((len(self.bits) + 7) // 8)
        for i, bit in enumerate(self.bits): b[i >> 3] |= bit << (i & 7)
        return bytes(b)


def single(w, s):  # a prefix code of one symbol (no bits per pixel)
    w.put(1, 1); w.put(0, 1)
    if s < 2: w.put(0, 1); w.put(s, 1)
    else: w.put(1, 1); w.put(s, 8)


def full256(w):  # 256 symbols of 8 bits each: the symbol is its own code
    w.put(0, 1); w.put(8, 4)
    for i in range(12): w.put(1 if i == 11 else 0, 3)
    w.put(1, 1); w.put(3, 3); w.put(254, 8)


def vp8l(width, height, colour=(255, 200, 40, 10), groups=False, argb=None):
    w = Bits(); w.put(0x2f, 8); w.put(width - 1, 14); w.put(height - 1, 14); w.put(1, 1); w.put(0, 3)
    w.put(0, 1); w.put(0, 1)
    if groups:
        w.put(1, 1); w.put(0, 3)
        n = ((width + 3) // 4) * ((height + 3) // 4)
        w.put(0, 1); full256(w); full256(w); single(w, 0); single(w, 0); single(w, 0)
        for i in range(n): w.code(i & 255, 8); w.code(i >> 8, 8)
        for i in range(n * 5): single(w, 0)
    elif argb is not None:  # every pixel as four literal 8-bit codes
        w.put(0, 1)
        for _ in range(4): full256(w)
        single(w, 0)
        for i in range(0, len(argb), 4):
            r, g, b, a = argb[i:i + 4]
            w.code(g, 8); w.code(r, 8); w.code(b, 8); w.code(a, 8)
    else:
        w.put(0, 1)
        a, r, g, b = colour
        for s in (g, r, b, a, 0): single(w, s)
    return w.data()


def riff_chunk(t, d): return t + struct.pack('<I', len(d)) + d + (b'\0' if len(d) & 1 else b'')


def riff(*chunks):
    body = b'WEBP' + b''.join(chunks)
    return b'RIFF' + struct.pack('<I', len(body)) + body


def vp8x(flags, w, h): return riff_chunk(b'VP8X', bytes([flags, 0, 0, 0]) + (w - 1).to_bytes(3, 'little') + (h - 1).to_bytes(3, 'little'))


def anmf(w, h, colour):
    header = bytes(6) + (w - 1).to_bytes(3, 'little') + (h - 1).to_bytes(3, 'little') + (100).to_bytes(3, 'little') + b'\x02'
    return riff_chunk(b'ANMF', header + riff_chunk(b'VP8L', vp8l(w, h, colour)))


def chunks(webp):  # the chunks of a simple WebP file, after RIFF/WEBP
    pos, found = 12, []
    while pos + 8 <= len(webp):
        length = struct.unpack('<I', webp[pos + 4:pos + 8])[0]
        found.append((webp[pos:pos + 4], webp[pos + 8:pos + 8 + length]))
        pos += 8 + length + (length & 1)
    return found


def png_path(name, w, h):
    path = os.path.join(work, name)
    with open(path, 'wb') as f:
        f.write(png_rgba(w, h))
    return path


write('alpha-lossless.webp', riff(riff_chunk(b'VP8L', vp8l(48, 32, argb=photo(48, 32, alpha=True)))))
run('cwebp', '-quiet', '-q', '60', '-alpha_q', '100', '-alpha_filter', 'best', png_path('a.png', 64, 48), '-o', os.path.join(out, 'alpha-lossy.webp'))
lossy = os.path.join(work, 'lossy.webp')
run('cwebp', '-quiet', '-q', '60', ppm(96, 64), '-o', lossy)
with open(lossy, 'rb') as f:
    vp8 = [d for t, d in chunks(f.read()) if t == b'VP8 '][0]
write('lossy-exif6.webp', riff(vp8x(0x08, 96, 64), riff_chunk(b'VP8 ', vp8), riff_chunk(b'EXIF', exif(6)[6:])))
write('anim.webp', riff(vp8x(0x12, 16, 12), riff_chunk(b'ANIM', bytes(6)), anmf(16, 12, (255, 255, 0, 0)), anmf(16, 12, (255, 0, 0, 255))))
second = os.path.join(work, 'f2.png')
with open(second, 'wb') as f:
    f.write(palette(40, 30))
run('img2webp', '-lossy', '-q', '50', '-d', '80', png_path('f1.png', 40, 30), second, '-o', os.path.join(out, 'anim-lossy.webp'))
write('groups.webp', riff(riff_chunk(b'VP8L', vp8l(32, 32, groups=True))))

# ---- TIFF (little-endian, uncompressed RGB) ----

def tiff(w, h):
    pixels = photo(w, h)
    entries = [(256, 3, 1, w), (257, 3, 1, h), (258, 3, 3, 8 + 2 + 12 * 10 + 4), (259, 3, 1, 1), (262, 3, 1, 2),
               (273, 4, 1, 8 + 2 + 12 * 10 + 4 + 6), (277, 3, 1, 3), (278, 3, 1, h), (279, 4, 1, len(pixels)), (284, 3, 1, 1)]
    ifd = struct.pack('<H', len(entries)) + b''.join(struct.pack('<HHII', *e) if e[1] == 4 or e[2] > 1 else struct.pack('<HHIHH', e[0], e[1], e[2], e[3], 0)
                                                     for e in entries) + struct.pack('<I', 0)
    return b'II' + struct.pack('<HI', 42, 8) + ifd + struct.pack('<HHH', 8, 8, 8) + pixels


write('rgb.tif', tiff(24, 16))


def tiff_file(w, h, photometric, bits, samples, data, extra=(), planar=1):
    """Little-endian, the data in one uncompressed strip per plane; extra: (tag, type, values) entries."""
    planes = samples if planar == 2 else 1
    strip = len(data) // planes
    entries = [(256, 4, [w]), (257, 4, [h]), (258, 3, [bits] * samples), (259, 3, [1]), (262, 3, [photometric]),
               (273, 4, [8 + i * strip for i in range(planes)]), (277, 3, [samples]), (278, 4, [h]),
               (279, 4, [strip] * planes), (284, 3, [planar])] + list(extra)
    entries.sort()
    ifd = 8 + len(data) + (len(data) & 1)
    tail, body = ifd + 2 + 12 * len(entries) + 4, b''
    out = struct.pack('<H', len(entries))
    for tag, kind, values in entries:
        packed = b''.join(struct.pack({3: '<H', 4: '<I', 5: '<I'}[kind], v) for v in values)
        count = len(values) // 2 if kind == 5 else len(values)
        if len(packed) <= 4:
            out += struct.pack('<HHI', tag, kind, count) + packed.ljust(4, b'\0')
        else:
            out += struct.pack('<HHII', tag, kind, count, tail + len(body))
            body += packed
    return b'II' + struct.pack('<HI', 42, ifd) + data + b'\0' * (len(data) & 1) + out + struct.pack('<I', 0) + body


def tiffcp(name, inputs, *options):
    files = []
    for i, data in enumerate(inputs):
        files.append(os.path.join(work, f'in{i}.tif'))
        with open(files[-1], 'wb') as f:
            f.write(data)
    run('tiffcp', *options, *files, os.path.join(out, name))


rgb = tiff(40, 30)
tiffcp('lzw-predictor.tif', [rgb], '-c', 'lzw:2')
tiffcp('zip-tiles.tif', [rgb], '-c', 'zip', '-t', '-w', '16', '-l', '16')
tiffcp('jpeg-ycbcr.tif', [tiff(48, 32)], '-c', 'jpeg', '-r', '16')
tiffcp('two-pages-be.tif', [rgb, tiff(16, 12)], '-B', '-c', 'packbits')
tiffcp('bigtiff.tif', [rgb], '-8', '-c', 'lzw')
pixels = photo(40, 30)


def index4(x, y):  # 1-2-1 bits of R, G, B
    r, g, b = pixels[(y * 40 + x) * 3:(y * 40 + x) * 3 + 3]
    return (r >> 7) << 3 | (g >> 6) << 1 | b >> 7


palette4 = b''.join(bytes(index4(x, y) << 4 | index4(x + 1, y) for x in range(0, 40, 2)) for y in range(30))
colour_map = [(i >> 3 & 1) * 65535 for i in range(16)] + [(i >> 1 & 3) * 21845 for i in range(16)] + [(i & 1) * 65535 for i in range(16)]
tiffcp('palette4-packbits.tif', [tiff_file(40, 30, 3, 4, 1, palette4, [(320, 3, colour_map)])], '-c', 'packbits')
grey = photo(64, 48)
bilevel = b''.join(bytes(sum((grey[(y * 64 + x + b) * 3 + 1] < 128) << (7 - b) for b in range(8)) for x in range(0, 64, 8))
                   for y in range(48))
tiffcp('bilevel-g4.tif', [tiff_file(64, 48, 0, 1, 1, bilevel)], '-c', 'g4')
rgba = photo(24, 16, alpha=True)
planes = b''.join(b''.join(struct.pack('<H', rgba[i * 4 + c] * 257) for i in range(24 * 16)) for c in range(4))
write('rgba16-planes.tif', tiff_file(24, 16, 2, 16, 4, planes, [(338, 3, [2])], planar=2))
small = photo(24, 16)


def ycbcr(p):
    r, g, b = p
    return (0.299 * r + 0.587 * g + 0.114 * b, -0.168736 * r - 0.331264 * g + 0.5 * b + 128, 0.5 * r - 0.418688 * g - 0.081312 * b + 128)


units = b''
for by in range(0, 16, 2):
    for bx in range(0, 24, 2):
        block = [ycbcr(small[((by + dy) * 24 + bx + dx) * 3:((by + dy) * 24 + bx + dx) * 3 + 3]) for dy in (0, 1) for dx in (0, 1)]
        units += bytes(round(v[0]) for v in block) + bytes(round(sum(v[c] for v in block) / 4) for c in (1, 2))
write('ycbcr420.tif', tiff_file(24, 16, 6, 8, 3, units, [(530, 3, [2, 2]), (532, 5, [0, 1, 255, 1, 128, 1, 255, 1, 128, 1, 255, 1])]))
write('cmyk.tif', tiff_file(24, 16, 5, 8, 4, b''.join(bytes((255 - small[i * 3], 255 - small[i * 3 + 1], 255 - small[i * 3 + 2], 40))
                                                       for i in range(24 * 16)), [(332, 3, [1])]))
grey_alpha = b''.join(bytes(((small[i * 3 + 1] * rgba[i * 4 + 3] + 127) // 255, rgba[i * 4 + 3])) for i in range(24 * 16))
write('grey-alpha-o6.tif', tiff_file(24, 16, 1, 8, 2, grey_alpha, [(274, 3, [6]), (338, 3, [1])]))

# ---- GIF, HEIC and AVIF (ABI 6, FR-8.6): gifsicle (apt-get install gifsicle) writes the GIFs from
# vips's, heif-enc (libheif-examples) and avifenc (libavif-bin) the ISO-BMFF files ----
# GIF: a still photo, an interlaced one with a transparent colour (the four-pass de-interlacing,
# the GCE), an animation of three frames of which the first is smaller than the screen (the canvas,
# the frame count walk). HEIC: a photo, one with alpha (the auxiliary image). AVIF: a photo with
# irot and imir (the orientation), one with alpha, a sequence of three frames (imageCount).
for tool in ('gifsicle', 'heif-enc', 'avifenc', 'vips'):
    if shutil.which(tool) is None:
        sys.exit(f'{tool} is missing: apt-get install gifsicle libheif-examples libavif-bin libvips-tools')
gif_photo = os.path.join(work, 'photo.gif')
run('vips', 'copy', png_path('gif-photo.png', 48, 32), gif_photo)
shutil.copy(gif_photo, os.path.join(out, 'photo.gif'))
run('gifsicle', '--interlace', '--transparent', '#000000', '--colors', '32', gif_photo, '-o', os.path.join(out, 'interlaced-trns.gif'))
frames = []
for i, size in enumerate(((24, 16), (48, 32), (48, 32))):
    frame = os.path.join(work, f'frame{i}.gif')
    run('vips', 'copy', png_path(f'frame{i}.png', *size), frame)
    frames.append(frame)
run('gifsicle', '--colors', '16', '--logical-screen', '48x32', '--delay', '10', *frames, '-o', os.path.join(out, 'anim.gif'))
heic_source = png_path('heic.png', 64, 48)
run('heif-enc', '-q', '50', heic_source, '-o', os.path.join(out, 'photo.heic'))
alpha_source = os.path.join(work, 'alpha.png')
with open(alpha_source, 'wb') as f:
    f.write(png_rgba(32, 24))
run('heif-enc', '-q', '50', alpha_source, '-o', os.path.join(out, 'alpha.heic'))
run('avifenc', '-s', '10', '-j', '1', '--irot', '1', '--imir', '1', heic_source, os.path.join(out, 'irot-imir.avif'))
run('avifenc', '-s', '10', '-j', '1', alpha_source, os.path.join(out, 'alpha.avif'))
run('avifenc', '-s', '10', '-j', '1', png_path('seq0.png', 16, 12), png_path('seq1.png', 16, 12), png_path('seq2.png', 16, 12),
    os.path.join(out, 'sequence.avif'))
shutil.rmtree(work)
