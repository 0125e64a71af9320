// Just enough PNG reading to tell a screenshot with content from a blank one: the image size from
// IHDR, and how many distinct byte values the (inflated) pixel data holds.
import { inflateSync } from 'node:zlib';

export interface PngFacts {
  width: number;
  height: number;
  /** Distinct byte values in the pixel data (a one-colour image has very few). */
  distinctBytes: number;
}

export function pngFacts(png: Buffer): PngFacts {
  if (png.subarray(1, 4).toString('latin1') !== 'PNG') throw new Error('not a PNG');
  let off = 8;
  let width = 0;
  let height = 0;
  const idat: Buffer[] = [];
  while (off < png.length) {
    const len = png.readUInt32BE(off);
    const type = png.subarray(off + 4, off + 8).toString('latin1');
    const data = png.subarray(off + 8, off + 8 + len);
    if (type === 'IHDR') {
      width = data.readUInt32BE(0);
      height = data.readUInt32BE(4);
    } else if (type === 'IDAT') idat.push(data);
    off += 12 + len;
  }
  const pixels = inflateSync(Buffer.concat(idat));
  const counts = new Uint32Array(256);
  for (const b of pixels) counts[b]!++;
  let distinct = 0;
  for (const c of counts) if (c > 0) distinct++;
  return { width, height, distinctBytes: distinct };
}
