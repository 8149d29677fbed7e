// Draws the extension icon (images/icon.png, 128×128 RGBA): a database cylinder with a lightning bolt on
// PostgreSQL blue. Pure Node (zlib for the PNG's deflate stream), 4×4 supersampling for smooth edges.
// Run: node client/scripts/icon.mjs
import { writeFileSync } from 'node:fs';
import { deflateSync } from 'node:zlib';

const SIZE = 128;
const SS = 4; // samples per pixel side

const BG = [0x33, 0x67, 0x91];
const WHITE = [0xff, 0xff, 0xff];
const TOP = [0xc9, 0xd9, 0xe8];
const BAND = [0x33, 0x67, 0x91];
const BOLT = [0xf6, 0xc3, 0x1c];
const BOLT_EDGE = [0x1d, 0x3d, 0x58];

const insideRoundedRect = (x, y, x0, y0, x1, y1, r) => {
  const cx = Math.min(Math.max(x, x0 + r), x1 - r);
  const cy = Math.min(Math.max(y, y0 + r), y1 - r);
  return (x - cx) ** 2 + (y - cy) ** 2 <= r * r;
};
const ellipse = (x, y, cx, cy, rx, ry) => ((x - cx) / rx) ** 2 + ((y - cy) / ry) ** 2;
const insidePolygon = (x, y, pts) => {
  let inside = false;
  for (let i = 0, j = pts.length - 1; i < pts.length; j = i++) {
    const [xi, yi] = pts[i];
    const [xj, yj] = pts[j];
    if (yi > y !== yj > y && x < ((xj - xi) * (y - yi)) / (yj - yi) + xi) inside = !inside;
  }
  return inside;
};
const distToSegment = (x, y, [ax, ay], [bx, by]) => {
  const dx = bx - ax;
  const dy = by - ay;
  const t = Math.max(0, Math.min(1, ((x - ax) * dx + (y - ay) * dy) / (dx * dx + dy * dy)));
  return Math.hypot(x - (ax + t * dx), y - (ay + t * dy));
};

// Cylinder: x 22..86, top ellipse at y 32, bottom at y 96.
const CX = 54,
  RX = 32,
  RY = 11,
  YT = 32,
  YB = 96;
const bolt = [
  [98, 38],
  [74, 78],
  [90, 78],
  [80, 114],
  [112, 68],
  [95, 68],
  [106, 38],
];

/** Colour of one sample point, or null outside the icon (transparent). */
function sample(x, y) {
  if (!insideRoundedRect(x, y, 0, 0, SIZE, SIZE, 26)) return null;
  if (insidePolygon(x, y, bolt)) return BOLT;
  let near = Infinity;
  for (let i = 0; i < bolt.length; i++) near = Math.min(near, distToSegment(x, y, bolt[i], bolt[(i + 1) % bolt.length]));
  if (near <= 3.5) return BOLT_EDGE;
  const body = (x >= CX - RX && x <= CX + RX && y >= YT && y <= YB) || ellipse(x, y, CX, YB, RX, RY) <= 1;
  if (ellipse(x, y, CX, YT, RX, RY) <= 1) {
    return ellipse(x, y, CX, YT, RX - 4, RY - 3) <= 1 ? TOP : WHITE;
  }
  if (body) {
    for (const yb of [YT + 21, YT + 42]) {
      const e = ellipse(x, y, CX, yb, RX, RY);
      if (y > yb && e >= 0.78 && e <= 1) return BAND;
    }
    return WHITE;
  }
  return BG;
}

const rgba = Buffer.alloc(SIZE * SIZE * 4);
for (let py = 0; py < SIZE; py++) {
  for (let px = 0; px < SIZE; px++) {
    let r = 0,
      g = 0,
      b = 0,
      a = 0;
    for (let sy = 0; sy < SS; sy++) {
      for (let sx = 0; sx < SS; sx++) {
        const c = sample(px + (sx + 0.5) / SS, py + (sy + 0.5) / SS);
        if (!c) continue;
        r += c[0];
        g += c[1];
        b += c[2];
        a++;
      }
    }
    const o = (py * SIZE + px) * 4;
    if (a > 0) {
      rgba[o] = Math.round(r / a);
      rgba[o + 1] = Math.round(g / a);
      rgba[o + 2] = Math.round(b / a);
    }
    rgba[o + 3] = Math.round((a / (SS * SS)) * 255);
  }
}

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});
function crc32(buf) {
  let c = 0xffffffff;
  for (const byte of buf) c = CRC_TABLE[(c ^ byte) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}
function chunk(type, data) {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([len, body, crc]);
}

const ihdr = Buffer.alloc(13);
ihdr.writeUInt32BE(SIZE, 0);
ihdr.writeUInt32BE(SIZE, 4);
ihdr[8] = 8; // bit depth
ihdr[9] = 6; // RGBA
const raw = Buffer.alloc(SIZE * (SIZE * 4 + 1));
for (let y = 0; y < SIZE; y++) {
  raw[y * (SIZE * 4 + 1)] = 0; // filter: none
  rgba.copy(raw, y * (SIZE * 4 + 1) + 1, y * SIZE * 4, (y + 1) * SIZE * 4);
}
const png = Buffer.concat([
  Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
  chunk('IHDR', ihdr),
  chunk('IDAT', deflateSync(raw, { level: 9 })),
  chunk('IEND', Buffer.alloc(0)),
]);
const out = new URL('../../images/icon.png', import.meta.url);
writeFileSync(out, png);
console.log(`images/icon.png: ${png.length} bytes`);
