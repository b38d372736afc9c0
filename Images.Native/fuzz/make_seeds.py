#!/usr/bin/env python3
"""Small seeds for the formats the budget work added: APNG, animated WebP, a lossless WebP with
meta prefix codes (the scanner in webp_vp8l.c), a progressive JPEG of many scans. Usage:
make_seeds.py DIR"""
import os, struct, sys, zlib

out = sys.argv[1]

def png_chunk(t, d): return struct.pack('>I', len(d)) + t + d + struct.pack('>I', zlib.crc32(t + d) & 0xffffffff)

def png(w, h, extra=b''):
    raw = b''.join(b'\0' + b''.join(bytes((x * 16 % 256, y * 16 % 256, 128, 200)) for x in range(w)) for y in range(h))
    return (b'\x89PNG\r\n\x1a\n' + png_chunk(b'IHDR', struct.pack('>IIBBBBB', w, h, 8, 6, 0, 0, 0)) + extra
            + png_chunk(b'IDAT', zlib.compress(raw)) + png_chunk(b'IEND', b''))

fctl = struct.pack('>IIIIIHHBB', 0, 16, 12, 0, 0, 1, 10, 0, 0)
apng = png(16, 12, png_chunk(b'acTL', struct.pack('>II', 2, 0)) + png_chunk(b'fcTL', fctl))

class Bits:
    def __init__(self): self.bits = []
    def put(self, v, n): self.bits += [(v >> i) & 1 for i in range(n)]
    def code(self, c, n): self.bits += [(c >> i) & 1 for i in range(n - 1, -1, -1)]
    def data(self):
        b = bytearray((len(self.bits) + 7) // 8)
        for i, bit in enumerate(self.bits): b[i >> 3] |= bit << (i & 7)
        return bytes(b)

def single(w, s):
    w.put(1, 1); w.put(0, 1)
    if s < 2: w.put(0, 1); w.put(s, 1)
    else: w.put(1, 1); w.put(s, 8)

def full256(w):
    w.put(0, 1); w.put(8, 4)
    for i in range(12): w.put(1 if i == 11 else 0, 3)
    w.put(1, 1); w.put(3, 3); w.put(254, 8)

def vp8l(width, height, colour=(255, 200, 40, 10), groups=False):
    w = Bits(); w.put(0x2f, 8); w.put(width - 1, 14); w.put(height - 1, 14); w.put(1, 1); w.put(0, 3)
    w.put(0, 1); w.put(0, 1)
    if groups:
        w.put(1, 1); w.put(0, 3)
        n = ((width + 3) // 4) * ((height + 3) // 4)
        w.put(0, 1); full256(w); full256(w); single(w, 0); single(w, 0); single(w, 0)
        for i in range(n): w.code(i & 255, 8); w.code(i >> 8, 8)
        for i in range(n * 5): single(w, 0)
    else:
        w.put(0, 1)
        a, r, g, b = colour
        for s in (g, r, b, a, 0): single(w, s)
    return w.data()

def riff_chunk(t, d): return t + struct.pack('<I', len(d)) + d + (b'\0' if len(d) & 1 else b'')
def riff(*chunks):
    body = b'WEBP' + b''.join(chunks)
    return b'RIFF' + struct.pack('<I', len(body)) + body

def anmf(w, h, colour):
    header = bytes(6) + (w - 1).to_bytes(3, 'little') + (h - 1).to_bytes(3, 'little') + (100).to_bytes(3, 'little') + b'\x02'
    return riff_chunk(b'ANMF', header + riff_chunk(b'VP8L', vp8l(w, h, colour)))

vp8x = bytes([0x12, 0, 0, 0]) + (15).to_bytes(3, 'little') + (11).to_bytes(3, 'little')
anim = riff(riff_chunk(b'VP8X', vp8x), riff_chunk(b'ANIM', bytes(6)), anmf(16, 12, (255, 255, 0, 0)), anmf(16, 12, (255, 0, 0, 255)))
groups = riff(riff_chunk(b'VP8L', vp8l(32, 32, groups=True)))

def seg(m, d): return b'\xff' + bytes([m]) + struct.pack('>H', len(d) + 2) + d
jpeg = (b'\xff\xd8' + seg(0xDB, b'\0' + b'\x01' * 64) + seg(0xC2, struct.pack('>BHHB', 8, 16, 16, 1) + b'\x01\x11\x00')
        + seg(0xC4, b'\x00' + bytes([1] + [0] * 15) + b'\x00') + seg(0xC4, b'\x10' + bytes([1, 1, 1] + [0] * 13) + b'\xe0\x10\x00')
        + seg(0xDA, b'\x01\x01\x00\x00\x00\x00') + b'\x0f' + (seg(0xDA, b'\x01\x01\x00\x01\x3f\x00') + b'\xbb') * 40 + b'\xff\xd9')

for name, data in (('apng.png', apng), ('anim.webp', anim), ('groups.webp', groups), ('scans.jpg', jpeg)):
    with open(os.path.join(out, name), 'wb') as f: f.write(data)
