// Boxes in image pixels ([x1, y1, x2, y2], x2 > x1, y2 > y1) and the <regionN> tags that name them.
// Pure functions: no DOM, so the rules are easy to read and to test.

export const HANDLES = ['nw', 'n', 'ne', 'e', 'se', 's', 'sw', 'w'];

/** Distinct colours for regions 1, 2, ... (readable on light and dark images). */
const PALETTE = ['#e6194b', '#3cb44b', '#4363d8', '#f58231', '#911eb4', '#0fb5ae', '#f032e6', '#9a6324', '#808000', '#000075'];
export const regionColor = (n) => PALETTE[(n - 1) % PALETTE.length];

/** Orders the corners, rounds to whole pixels and keeps the box inside a w×h image. */
export function normaliseBox([ax, ay, bx, by], w, h) {
  const x1 = clamp(Math.round(Math.min(ax, bx)), 0, w);
  const y1 = clamp(Math.round(Math.min(ay, by)), 0, h);
  const x2 = clamp(Math.round(Math.max(ax, bx)), 0, w);
  const y2 = clamp(Math.round(Math.max(ay, by)), 0, h);
  return [x1, y1, x2, y2];
}

export const clamp = (v, lo, hi) => Math.min(hi, Math.max(lo, v));
export const boxWidth = (b) => b[2] - b[0];
export const boxHeight = (b) => b[3] - b[1];
export const formatBox = (b) => `${b[0]}, ${b[1]} – ${b[2]}, ${b[3]}`;

/** The point of each handle of a box. */
export function handlePoints(b) {
  const cx = (b[0] + b[2]) / 2;
  const cy = (b[1] + b[3]) / 2;
  return { nw: [b[0], b[1]], n: [cx, b[1]], ne: [b[2], b[1]], e: [b[2], cy], se: [b[2], b[3]], s: [cx, b[3]], sw: [b[0], b[3]], w: [b[0], cy] };
}

/** The handle of box b within radius r (image pixels) of (x, y), or null. Corners win over edges. */
export function hitHandle(b, x, y, r) {
  const pts = handlePoints(b);
  let best = null;
  let bestD = Infinity;
  for (const name of HANDLES) {
    const [hx, hy] = pts[name];
    const d = Math.hypot(hx - x, hy - y) - (name.length === 2 ? r * 0.25 : 0);
    if (Math.abs(hx - x) <= r && Math.abs(hy - y) <= r && d < bestD) {
      best = name;
      bestD = d;
    }
  }
  return best;
}

/** The index of the top-most box (the last drawn) containing (x, y) within slack pixels, or -1. */
export function hitBox(boxes, x, y, slack = 0) {
  for (let i = boxes.length - 1; i >= 0; i--) {
    const b = boxes[i];
    if (x >= b[0] - slack && x <= b[2] + slack && y >= b[1] - slack && y <= b[3] + slack) return i;
  }
  return -1;
}

/** Moves a box by (dx, dy), kept wholly inside the image. */
export function moveBox(b, dx, dy, w, h) {
  const bw = boxWidth(b);
  const bh = boxHeight(b);
  const x1 = clamp(Math.round(b[0] + dx), 0, w - bw);
  const y1 = clamp(Math.round(b[1] + dy), 0, h - bh);
  return [x1, y1, x1 + bw, y1 + bh];
}

/** Drags one handle of a box by (dx, dy); the box stays at least min pixels wide and tall, inside the image. */
export function resizeBox(b, handle, dx, dy, w, h, min = 1) {
  let [x1, y1, x2, y2] = b;
  if (handle.includes('w')) x1 = clamp(Math.round(x1 + dx), 0, x2 - min);
  if (handle.includes('e')) x2 = clamp(Math.round(x2 + dx), x1 + min, w);
  if (handle.includes('n')) y1 = clamp(Math.round(y1 + dy), 0, y2 - min);
  if (handle.includes('s')) y2 = clamp(Math.round(y2 + dy), y1 + min, h);
  return [x1, y1, x2, y2];
}

/** A box of about a fifth of the image, centred. */
export function centredBox(w, h) {
  const bw = Math.max(2, Math.round(w / 5));
  const bh = Math.max(2, Math.round(h / 5));
  const x1 = Math.round((w - bw) / 2);
  const y1 = Math.round((h - bh) / 2);
  return [x1, y1, x1 + bw, y1 + bh];
}

/** The <regionN> tags of a text (ASCII digits), in order: [{number, index, length}]. */
export function regionTags(text) {
  const tags = [];
  for (const m of text.matchAll(/<region(\d+)>/g)) tags.push({ number: Number(m[1]), index: m.index, length: m[0].length });
  return tags;
}

export const regionTag = (n) => `<region${n}>`;

/**
 * The server's rule for one turn (docs/api.md): regions 1..named are known; the question must name each of
 * the newCount new boxes (named+1 .. named+newCount) and no other unknown region. Returns problems as
 * [{region?, message}] (region: the region a problem is about, to show it next to that box).
 */
export function checkQuestion(question, named, newCount) {
  const problems = [];
  if (!question.trim()) {
    problems.push({ message: 'Type a question first.' });
    return problems;
  }
  const numbers = new Set(regionTags(question).map((t) => t.number));
  for (let n = named + 1; n <= named + newCount; n++) {
    if (!numbers.has(n)) problems.push({ region: n, message: `${regionTag(n)} is drawn but the question does not name it.` });
  }
  for (const n of [...numbers].sort((a, b) => a - b)) {
    if (n < 1 || n > named + newCount) problems.push({ message: `The question names ${regionTag(n)}, but there is no such box.` });
  }
  return problems;
}

/**
 * After deleting draft region `removed`, later regions move down by one: rewrite their tags in the question so
 * it still points at the same boxes. Tags of the removed region are left (the check then reports them).
 */
export function renumberAfterDelete(text, removed) {
  return text.replace(/<region(\d+)>/g, (tag, digits) => {
    const n = Number(digits);
    return n > removed ? regionTag(n - 1) : tag;
  });
}

/**
 * Which region an error message is about, or null. Box errors read "region N: ..." where N counts the boxes of
 * that request (1 = its first new box), so newOffset (regions named before the turn) is added; prompt errors
 * name "<regionN>" in conversation numbering.
 */
export function regionFromDetail(detail, newOffset) {
  if (!detail) return null;
  const box = /^region (\d+):/.exec(detail);
  if (box) return newOffset + Number(box[1]);
  const tag = /<region(\d+)>/.exec(detail);
  return tag ? Number(tag[1]) : null;
}
