// The conversation: transcript items (questions with coloured region tags, answers streaming in) and the
// question box with its region chips.

import { regionColor, regionTag } from './boxes.js';

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'class') node.className = v;
    else if (k === 'text') node.textContent = v;
    else node.setAttribute(k, v === true ? '' : String(v));
  }
  node.append(...children.filter((c) => c !== null && c !== undefined));
  return node;
}
export { el };

/** A question's text with each <regionN> shown as a tag in that region's colour. */
export function questionFragment(text) {
  const frag = document.createDocumentFragment();
  let pos = 0;
  for (const m of text.matchAll(/<region(\d+)>/g)) {
    frag.append(text.slice(pos, m.index));
    const tag = el('span', { class: 'tag', text: m[0] });
    tag.style.setProperty('--region-color', regionColor(Number(m[1])));
    frag.append(tag);
    pos = m.index + m[0].length;
  }
  frag.append(text.slice(pos));
  return frag;
}

function meta(turn) {
  const parts = [];
  if (turn.generated_tokens !== undefined) parts.push(`${turn.generated_tokens} tokens`);
  const ms = turn.timings_ms?.total ?? (turn.prefill_ms !== undefined ? turn.prefill_ms + turn.decode_ms : undefined);
  if (ms !== undefined) parts.push(`${Math.round(ms)} ms`);
  if (turn.stop_reason === 'Stopped') parts.push('stopped');
  return parts.join(' · ');
}

/** One transcript item. Returns a handle to stream into it and settle it. */
export function turnItem(question, { turnId } = {}) {
  const answer = el('p', { class: 'turn-answer', 'data-testid': 'turn-answer' });
  const error = el('p', { class: 'turn-error', 'data-testid': 'turn-error', hidden: true });
  const info = el('p', { class: 'turn-meta', 'data-testid': 'turn-meta' });
  const item = el(
    'li',
    { class: 'turn', 'data-testid': 'turn', 'data-turn-id': turnId, 'data-state': 'done' },
    el('p', { class: 'turn-question', 'data-testid': 'turn-question' }, el('span', { class: 'who', text: 'You' }), questionFragment(question)),
    el('div', { class: 'turn-body' }, el('span', { class: 'who', text: 'GPT4RoI' }), answer, error),
    info,
  );
  let streamed = '';
  return {
    item,
    hasAnswer: () => streamed.length > 0,
    /** While tokens arrive: the answer is a polite live region, busy until settled. */
    streaming() {
      item.dataset.state = 'streaming';
      answer.setAttribute('aria-live', 'polite');
      answer.setAttribute('aria-busy', 'true');
      answer.classList.add('cursor');
    },
    append(text) {
      streamed += text;
      answer.textContent = streamed.trimStart();
    },
    /** Progress while no token has come: the message stands in for the answer; the state stays. */
    waiting(message) {
      if (!streamed) answer.textContent = message;
    },
    pending(message) {
      item.dataset.state = 'pending';
      answer.classList.add('cursor');
      if (!streamed) answer.textContent = message;
    },
    /** The recorded turn (the session's answer is the one kept). */
    done(turn) {
      if (turn.turn_id) item.dataset.turnId = turn.turn_id;
      answer.classList.remove('cursor');
      answer.removeAttribute('aria-busy');
      if (turn.error) {
        this.fail(turn.error.message || turn.error.code);
        return;
      }
      item.dataset.state = 'done';
      answer.textContent = turn.answer || (turn.stop_reason === 'Stopped' ? '(stopped before any text)' : turn.answer ?? streamed);
      info.textContent = meta(turn);
    },
    fail(message) {
      item.dataset.state = 'error';
      answer.classList.remove('cursor');
      answer.removeAttribute('aria-busy');
      answer.hidden = !streamed;
      error.hidden = false;
      error.textContent = message;
    },
  };
}

/** Renders recorded turns (from a transcript). */
export function renderTranscript(list, turns) {
  list.replaceChildren();
  for (const turn of turns) {
    const t = turnItem(turn.question, { turnId: turn.turn_id });
    t.done(turn);
    list.append(t.item);
  }
}

/** Chips for regions 1..count: clicking one calls onPick(n). */
export function renderChips(container, count, lockedCount, onPick) {
  container.replaceChildren();
  for (let n = 1; n <= count; n++) {
    const chip = el('button', {
      type: 'button',
      class: `chip${n <= lockedCount ? ' locked' : ''}`,
      'data-testid': 'region-chip',
      'data-region': n,
      'aria-label': `Insert ${regionTag(n)} into the question`,
      text: regionTag(n),
    });
    chip.style.setProperty('--region-color', regionColor(n));
    chip.addEventListener('click', () => onPick(n));
    container.append(chip);
  }
}

/** Inserts text at the caret of a textarea (replacing any selection), then puts the caret after it. */
export function insertAtCursor(textarea, text) {
  const start = textarea.selectionStart ?? textarea.value.length;
  const end = textarea.selectionEnd ?? start;
  const before = textarea.value.slice(0, start);
  const spaced = before && !/[\s([{"']$/.test(before) ? ` ${text}` : text;
  textarea.setRangeText(spaced, start, end, 'end');
  textarea.focus();
  textarea.dispatchEvent(new Event('input', { bubbles: true }));
}
