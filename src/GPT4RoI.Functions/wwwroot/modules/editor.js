// The canvas where boxes are drawn. Boxes live in image pixels; the canvas only maps them to the screen
// (display scale × devicePixelRatio), so the numbers sent to the API never depend on the window size.
//
// Two kinds of boxes: regions a conversation already numbered (locked, dashed) and draft boxes (editable),
// numbered on from them in the order drawn. Pointer events drive mouse, pen and touch alike; the keyboard
// covers the same actions. Events: "change" (the drafts changed), "select" (detail.index, or -1),
// "insert" (detail.region: Enter on a box asks to put its tag in the question).

import { boxHeight, boxWidth, centredBox, clamp, formatBox, handlePoints, hitBox, hitHandle, moveBox, normaliseBox, regionColor, regionTag, resizeBox } from './boxes.js';

const CURSORS = { nw: 'nwse-resize', se: 'nwse-resize', ne: 'nesw-resize', sw: 'nesw-resize', n: 'ns-resize', s: 'ns-resize', e: 'ew-resize', w: 'ew-resize' };
const MIN_DRAW_CSS = 4; // a drag shorter than this (screen pixels) is a click, not a box

export class BoxEditor extends EventTarget {
  constructor(canvas, { announce = () => {} } = {}) {
    super();
    this.keepSelectionOnFocus = false;
    this.canvas = canvas;
    this.ctx = canvas.getContext('2d');
    this.announce = announce;
    this.image = null;
    this.committed = []; // [{region, box}]
    this.drafts = []; // [{box, label?}]
    this.selected = -1; // index into drafts
    this.errorRegions = new Set();
    this.enabled = true;
    this.drag = null;
    this.scale = 1;
    this.maxRegions = 32;

    canvas.addEventListener('pointerdown', (e) => this.onPointerDown(e));
    canvas.addEventListener('pointermove', (e) => this.onPointerMove(e));
    canvas.addEventListener('pointerup', (e) => this.onPointerUp(e, false));
    canvas.addEventListener('pointercancel', (e) => this.onPointerUp(e, true));
    canvas.addEventListener('lostpointercapture', (e) => this.drag && this.onPointerUp(e, false));
    canvas.addEventListener('keydown', (e) => this.onKeyDown(e));
    canvas.addEventListener('focus', () => {
      // Tabbing in starts the walk over the boxes afresh; a click or the page's own focus() keeps the selection.
      if (this.keepSelectionOnFocus) this.keepSelectionOnFocus = false;
      else if (this.selected >= 0) this.select(-1, { announce: false });
      this.render();
    });
    canvas.addEventListener('blur', () => this.render());
    this.resizeObserver = new ResizeObserver(() => this.layout());
    this.resizeObserver.observe(canvas.parentElement);
    window.addEventListener('resize', () => this.layout()); // also fires when devicePixelRatio changes (zoom)
  }

  get offset() {
    return this.committed.length;
  }

  /** The region number of draft i. */
  regionOf(i) {
    return this.offset + i + 1;
  }

  setImage(image) {
    this.image = image;
    this.selected = -1;
    this.drag = null;
    this.layout();
  }

  setRegions(committed, drafts) {
    this.committed = committed;
    this.drafts = drafts.map((d) => ({ ...d, box: [...d.box] }));
    if (this.selected >= this.drafts.length) this.selected = -1;
    this.render();
  }

  setErrorRegions(numbers) {
    this.errorRegions = new Set(numbers);
    this.render();
  }

  setEnabled(enabled) {
    this.enabled = enabled;
    this.canvas.setAttribute('aria-disabled', String(!enabled));
  }

  select(index, { announce = true } = {}) {
    this.selected = index >= 0 && index < this.drafts.length ? index : -1;
    this.render();
    this.dispatchEvent(new CustomEvent('select', { detail: { index: this.selected } }));
    if (announce && this.selected >= 0) this.announceBox(this.selected, 'selected');
  }

  announceBox(i, what) {
    const b = this.drafts[i].box;
    this.announce(`${regionTag(this.regionOf(i))} ${what}: ${formatBox(b)}, ${boxWidth(b)} by ${boxHeight(b)} pixels`);
  }

  changed(reason) {
    this.render();
    this.dispatchEvent(new CustomEvent('change', { detail: { reason } }));
  }

  canAdd() {
    return this.offset + this.drafts.length < this.maxRegions;
  }

  addBox(box, label) {
    if (!this.image || !this.canAdd()) return -1;
    this.drafts.push(label ? { box, label } : { box });
    this.selected = this.drafts.length - 1;
    this.changed('add');
    this.announceBox(this.selected, 'added');
    return this.selected;
  }

  addCentredBox() {
    if (!this.image) return -1;
    const w = this.image.naturalWidth;
    const h = this.image.naturalHeight;
    // A new box never lands exactly on another one: step it down and right until it is free.
    let box = centredBox(w, h);
    const step = Math.max(4, Math.round(Math.min(w, h) / 40));
    const taken = (b) => [...this.committed.map((r) => r.box), ...this.drafts.map((d) => d.box)].some((o) => o.every((v, i) => v === b[i]));
    for (let k = 0; k < 16 && taken(box); k++) box = moveBox(box, step, step, w, h);
    return this.addBox(box);
  }

  deleteDraft(i) {
    if (i < 0 || i >= this.drafts.length) return;
    const region = this.regionOf(i);
    this.drafts.splice(i, 1);
    this.selected = this.drafts.length === 0 ? -1 : Math.min(i, this.drafts.length - 1);
    this.dispatchEvent(new CustomEvent('delete', { detail: { region } }));
    this.changed('delete');
    this.announce(`${regionTag(region)} deleted`);
  }

  /** Focuses the canvas without clearing the selection. */
  focus() {
    if (document.activeElement !== this.canvas) this.keepSelectionOnFocus = true;
    this.canvas.focus({ preventScroll: true });
  }

  // ---- layout and drawing ----

  layout() {
    const img = this.image;
    const wrap = this.canvas.parentElement;
    if (!img) {
      this.canvas.hidden = true;
      return;
    }
    this.canvas.hidden = false;
    const iw = img.naturalWidth;
    const ih = img.naturalHeight;
    const availW = Math.max(120, wrap.clientWidth);
    const maxH = Math.max(220, window.innerHeight * 0.72);
    this.scale = Math.min(availW / iw, maxH / ih, 4);
    const cssW = Math.max(1, Math.floor(iw * this.scale));
    const cssH = Math.max(1, Math.floor(ih * this.scale));
    const dpr = window.devicePixelRatio || 1;
    this.canvas.style.width = `${cssW}px`;
    this.canvas.style.height = `${cssH}px`;
    const pw = Math.round(cssW * dpr);
    const ph = Math.round(cssH * dpr);
    if (this.canvas.width !== pw || this.canvas.height !== ph) {
      this.canvas.width = pw;
      this.canvas.height = ph;
    }
    this.render();
  }

  render() {
    const { ctx, canvas, image } = this;
    if (!image || canvas.hidden) return;
    const k = canvas.width / image.naturalWidth; // backing pixels per image pixel
    const px = canvas.width / parseFloat(canvas.style.width); // backing pixels per CSS pixel
    ctx.setTransform(1, 0, 0, 1, 0, 0);
    ctx.clearRect(0, 0, canvas.width, canvas.height);
    ctx.imageSmoothingQuality = 'high';
    ctx.drawImage(image, 0, 0, canvas.width, canvas.height);

    const toCanvas = (b) => [b[0] * k, b[1] * k, (b[2] - b[0]) * k, (b[3] - b[1]) * k];
    const drawOne = (box, n, { locked, selected }) => {
      const [x, y, w, h] = toCanvas(box);
      const color = regionColor(n);
      const error = this.errorRegions.has(n);
      ctx.save();
      if (!locked) {
        ctx.fillStyle = `${color}22`;
        ctx.fillRect(x, y, w, h);
      }
      // a light halo under the line keeps it visible on any image
      ctx.lineWidth = (selected ? 5 : 4) * px;
      ctx.strokeStyle = 'rgba(255,255,255,0.85)';
      ctx.setLineDash(locked ? [6 * px, 4 * px] : []);
      ctx.strokeRect(x, y, w, h);
      ctx.lineWidth = (selected ? 3 : 2) * px;
      ctx.strokeStyle = error ? '#d00000' : color;
      ctx.strokeRect(x, y, w, h);
      ctx.setLineDash([]);
      // the label: <regionN>
      const text = `${error ? '! ' : ''}${regionTag(n)}`;
      ctx.font = `600 ${12 * px}px system-ui, sans-serif`;
      const tw = ctx.measureText(text).width + 8 * px;
      const th = 17 * px;
      const ly = y - th >= 0 ? y - th : y;
      ctx.fillStyle = error ? '#d00000' : color;
      ctx.fillRect(x, ly, tw, th);
      ctx.fillStyle = '#fff';
      ctx.textBaseline = 'middle';
      ctx.fillText(text, x + 4 * px, ly + th / 2 + 0.5 * px);
      if (selected) {
        const s = 8 * px;
        for (const [hx, hy] of Object.values(handlePoints(box))) {
          ctx.fillStyle = '#fff';
          ctx.fillRect(hx * k - s / 2, hy * k - s / 2, s, s);
          ctx.strokeStyle = color;
          ctx.lineWidth = 1.5 * px;
          ctx.strokeRect(hx * k - s / 2, hy * k - s / 2, s, s);
        }
      }
      ctx.restore();
    };

    this.committed.forEach((r) => drawOne(r.box, r.region, { locked: true, selected: false }));
    // The selected box last, so its outline and handles are on top of any box it overlaps.
    this.drafts.forEach((d, i) => i !== this.selected && drawOne(d.box, this.regionOf(i), { locked: false, selected: false }));
    if (this.drafts[this.selected]) drawOne(this.drafts[this.selected].box, this.regionOf(this.selected), { locked: false, selected: true });
    if (this.drag?.mode === 'draw' && this.drag.box) {
      drawOne(this.drag.box, this.regionOf(this.drafts.length), { locked: false, selected: false });
    }
  }

  // ---- pointer ----

  point(e) {
    const rect = this.canvas.getBoundingClientRect();
    const iw = this.image.naturalWidth;
    const ih = this.image.naturalHeight;
    return [clamp(((e.clientX - rect.left) / rect.width) * iw, 0, iw), clamp(((e.clientY - rect.top) / rect.height) * ih, 0, ih)];
  }

  /** Hit radius in image pixels: bigger for fingers. */
  radius(e) {
    return (e.pointerType === 'touch' ? 22 : 9) / this.scale;
  }

  onPointerDown(e) {
    if (!this.image || !this.enabled || (e.pointerType === 'mouse' && e.button !== 0)) return;
    e.preventDefault();
    this.focus();
    this.canvas.setPointerCapture(e.pointerId);
    const p = this.point(e);
    const r = this.radius(e);
    const sel = this.drafts[this.selected];
    const handle = sel ? hitHandle(sel.box, p[0], p[1], r) : null;
    if (handle) {
      this.drag = { mode: 'resize', handle, start: p, original: [...sel.box], id: e.pointerId };
      return;
    }
    const hit = hitBox(this.drafts.map((d) => d.box), p[0], p[1]);
    if (hit >= 0) {
      this.select(hit);
      this.drag = { mode: 'move', start: p, original: [...this.drafts[hit].box], id: e.pointerId };
      return;
    }
    this.drag = { mode: 'draw', start: p, box: null, id: e.pointerId, moved: false };
  }

  onPointerMove(e) {
    if (!this.image) return;
    const p = this.point(e);
    const drag = this.drag;
    if (!drag || drag.id !== e.pointerId) {
      this.updateCursor(p, e);
      return;
    }
    const iw = this.image.naturalWidth;
    const ih = this.image.naturalHeight;
    const dx = p[0] - drag.start[0];
    const dy = p[1] - drag.start[1];
    if (drag.mode === 'draw') {
      if (Math.abs(dx) * this.scale >= MIN_DRAW_CSS || Math.abs(dy) * this.scale >= MIN_DRAW_CSS) drag.moved = true;
      if (drag.moved) {
        if (!this.canAdd()) {
          this.announce(`At most ${this.maxRegions} regions per conversation.`);
          this.drag = null;
          return;
        }
        drag.box = normaliseBox([drag.start[0], drag.start[1], p[0], p[1]], iw, ih);
      }
    } else if (drag.mode === 'move') {
      this.drafts[this.selected].box = moveBox(drag.original, dx, dy, iw, ih);
    } else {
      this.drafts[this.selected].box = resizeBox(drag.original, drag.handle, dx, dy, iw, ih);
    }
    this.render();
  }

  onPointerUp(e, cancelled) {
    const drag = this.drag;
    if (!drag || drag.id !== e.pointerId) return;
    this.drag = null;
    if (this.canvas.hasPointerCapture?.(e.pointerId)) this.canvas.releasePointerCapture(e.pointerId);
    if (drag.mode === 'draw') {
      const b = drag.box;
      if (!cancelled && b && boxWidth(b) >= 1 && boxHeight(b) >= 1 && drag.moved) {
        this.addBox(b);
      } else {
        if (!drag.moved) this.select(-1);
        this.render();
      }
      return;
    }
    const box = this.drafts[this.selected]?.box;
    if (cancelled && box) this.drafts[this.selected].box = drag.original;
    if (box && box.some((v, i) => v !== drag.original[i])) {
      this.changed(drag.mode);
      this.announceBox(this.selected, drag.mode === 'move' ? 'moved' : 'resized');
    } else {
      this.render();
    }
  }

  updateCursor(p, e) {
    if (!this.enabled) {
      this.canvas.style.cursor = 'not-allowed';
      return;
    }
    const sel = this.drafts[this.selected];
    const handle = sel ? hitHandle(sel.box, p[0], p[1], this.radius(e)) : null;
    if (handle) this.canvas.style.cursor = CURSORS[handle];
    else if (hitBox(this.drafts.map((d) => d.box), p[0], p[1]) >= 0) this.canvas.style.cursor = 'move';
    else this.canvas.style.cursor = 'crosshair';
  }

  // ---- keyboard ----

  onKeyDown(e) {
    if (!this.image) return;
    const n = this.drafts.length;
    if (e.key === 'Tab' && !e.altKey && !e.ctrlKey && !e.metaKey) {
      // Tab walks the draft boxes (Shift+Tab backwards, from the last); past the end focus leaves as usual.
      const next = e.shiftKey ? (this.selected < 0 ? n - 1 : this.selected - 1) : this.selected + 1;
      if (n > 0 && next >= 0 && next < n) {
        e.preventDefault();
        this.select(next);
      } else {
        this.select(-1, { announce: false });
      }
      return;
    }
    if (!this.enabled) return;
    if ((e.key === 'n' || e.key === 'N') && !e.ctrlKey && !e.metaKey && !e.altKey) {
      e.preventDefault();
      this.addCentredBox();
      return;
    }
    if (e.key === 'Escape') {
      if (this.drag) {
        if (this.drag.original && this.selected >= 0) this.drafts[this.selected].box = this.drag.original;
        this.drag = null;
        this.render();
      } else if (this.selected >= 0) {
        this.select(-1);
        this.announce('No box selected');
      }
      return;
    }
    const sel = this.drafts[this.selected];
    if (!sel) return;
    if (e.key === 'Delete' || e.key === 'Backspace') {
      e.preventDefault();
      this.deleteDraft(this.selected);
      return;
    }
    if (e.key === 'Enter') {
      e.preventDefault();
      this.dispatchEvent(new CustomEvent('insert', { detail: { region: this.regionOf(this.selected) } }));
      return;
    }
    const arrows = { ArrowLeft: [-1, 0], ArrowRight: [1, 0], ArrowUp: [0, -1], ArrowDown: [0, 1] };
    const dir = arrows[e.key];
    if (!dir) return;
    e.preventDefault();
    const step = e.shiftKey ? 10 : 1;
    const iw = this.image.naturalWidth;
    const ih = this.image.naturalHeight;
    const resize = e.altKey || e.ctrlKey || e.metaKey;
    sel.box = resize
      ? resizeBox(sel.box, 'se', dir[0] * step, dir[1] * step, iw, ih)
      : moveBox(sel.box, dir[0] * step, dir[1] * step, iw, ih);
    this.changed(resize ? 'resize' : 'move');
    this.announceBox(this.selected, resize ? 'resized' : 'moved');
  }
}
