// The page: open an image, draw boxes, ask about them. Ties the editor, the API client and the conversation
// together; keeps drafts in the browser so nothing drawn or typed is lost on an error or a reload.
//
// Asking: the first question creates a durable session (POST /api/sessions) and later ones add turns
// (POST /api/sessions/{id}/turns) with only the new boxes. Both are asked for server-sent events, so every
// turn's answer shows token by token; the session's recorded answer (the "result" event) is what stays.

import { ApiError, createSession, deleteSession, getHealth, getSession, getSessionImage, stopTurn, submitTurn } from './modules/api.js';
import { checkQuestion, formatBox, boxWidth, boxHeight, regionColor, regionFromDetail, regionTag, renumberAfterDelete } from './modules/boxes.js';
import { el, insertAtCursor, renderChips, renderTranscript, turnItem } from './modules/chat.js';
import { limits, polling } from './modules/config.js';
import { setupDetector } from './modules/detect.js';
import { BoxEditor } from './modules/editor.js';
import { sha256Hex } from './modules/sha256.js';
import * as store from './modules/store.js';

const $ = (id) => document.getElementById(id);
const ui = {
  health: $('health'),
  pageError: $('page-error'),
  newConversation: $('new-conversation'),
  deleteSession: $('delete-session'),
  dropZone: $('drop-zone'),
  imageInput: $('image-input'),
  imageError: $('image-error'),
  reopen: $('reopen-notice'),
  canvas: $('canvas'),
  addBox: $('add-box'),
  deleteBox: $('delete-box'),
  detect: $('detect'),
  detectError: $('detect-error'),
  boxList: $('box-list'),
  boxEmpty: $('box-empty'),
  sessionStatus: $('session-status'),
  sessionError: $('session-error'),
  transcript: $('transcript'),
  form: $('ask-form'),
  chips: $('chips'),
  question: $('question'),
  questionError: $('question-error'),
  ask: $('ask'),
  stop: $('stop'),
  announcer: $('announcer'),
};

const state = {
  health: null,
  image: null, // {blob, name, type, sha256, width, height, img, url}
  session: null, // the transcript as last read: {id, state, image: {sha256}, turns}
  busy: false,
  abort: null,
  answering: null, // the turn being answered: {sessionId, turnId}, once the server holds it
  boxErrors: new Map(), // region number → message
};

const editor = new BoxEditor(ui.canvas, { announce });

// ---- small utilities ----

function announce(text) {
  ui.announcer.textContent = '';
  // a new text node each time, so the same message is announced again
  requestAnimationFrame(() => (ui.announcer.textContent = text));
}

function showError(node, message) {
  node.textContent = message || '';
  node.hidden = !message;
}

function describeError(err) {
  if (!(err instanceof ApiError)) return err?.message || String(err);
  if (err.status === 503) return `The server is busy${err.retryAfter ? `; try again in ${err.retryAfter} s` : '; try again shortly'}.`;
  if (err.status === 0) return err.detail;
  if (err.status === 401 || err.status === 403) return `The API refused the request (HTTP ${err.status}): open this page with ?code=<function key> in its address.`;
  const title = err.title && err.title !== 'error' ? `${err.title[0].toUpperCase()}${err.title.slice(1)}` : `Error ${err.status}`;
  return err.detail ? `${title}: ${err.detail}` : title;
}

const committedRegions = () =>
  (state.session?.turns ?? [])
    .flatMap((t) => (t.error ? [] : t.regions ?? []))
    .filter((r) => r.region !== null && r.region !== undefined)
    .sort((a, b) => a.region - b.region);

const sessionActive = () => !state.session || state.session.state === 'active';

function setUrlSession(id, { push = false } = {}) {
  const url = new URL(window.location.href);
  if (id) url.searchParams.set('session', id);
  else url.searchParams.delete('session');
  url.hash = '';
  history[push ? 'pushState' : 'replaceState'](null, '', url);
}

// ---- rendering ----

function renderRegions() {
  const committed = committedRegions();
  editor.setRegions(committed, editor.drafts);
  const items = [];
  for (const r of committed) items.push(regionItem(r.region, r.box, { locked: true }));
  editor.drafts.forEach((d, i) => items.push(regionItem(editor.regionOf(i), d.box, { index: i, label: d.label })));
  ui.boxList.replaceChildren(...items);
  ui.boxEmpty.hidden = items.length > 0;
  renderChips(ui.chips, committed.length + editor.drafts.length, committed.length, insertRegion);
  editor.setErrorRegions([...state.boxErrors.keys()]);
  updateControls();
}

function regionItem(n, box, { locked = false, index = -1, label } = {}) {
  const tag = regionTag(n);
  const insert = el('button', {
    type: 'button',
    class: 'chip',
    'data-testid': 'box-insert',
    'aria-label': `Insert ${tag} into the question`,
    text: tag,
  });
  insert.style.setProperty('--region-color', regionColor(n));
  insert.addEventListener('click', () => {
    if (index >= 0) editor.select(index, { announce: false });
    insertRegion(n);
  });
  const coords = el(
    'span',
    { class: 'box-coords', 'data-testid': 'box-coords' },
    formatBox(box),
    el('small', { text: ` ${boxWidth(box)}×${boxHeight(box)}` }),
  );
  const error = state.boxErrors.get(n);
  const item = el(
    'li',
    {
      class: `box-item${locked ? ' locked' : ''}${index >= 0 && index === editor.selected ? ' selected' : ''}`,
      'data-testid': 'box-item',
      'data-region': n,
      'data-kind': locked ? 'named' : 'draft',
      'data-box': box.join(','),
    },
    insert,
    coords,
    label ? el('span', { class: 'box-label', text: label }) : null,
    locked ? el('span', { class: 'box-state', text: 'asked' }) : null,
  );
  if (!locked) {
    const del = el('button', { type: 'button', class: 'icon', 'data-testid': 'box-delete', 'aria-label': `Delete ${tag}`, text: '✕' });
    del.disabled = state.busy;
    del.addEventListener('click', () => editor.deleteDraft(index));
    item.append(del);
  }
  if (error) item.append(el('p', { class: 'box-error error', 'data-testid': 'box-error', role: 'alert', text: error }));
  return item;
}

function renderSession() {
  const s = state.session;
  ui.deleteSession.hidden = !s || s.state === 'deleted';
  if (!s) {
    ui.sessionStatus.textContent = 'No conversation yet: the first question starts one.';
  } else {
    const n = s.turns.filter((t) => !t.error).length;
    const what = { active: 'active', expired: 'expired: it can be read but not continued', deleted: 'deleted' }[s.state] ?? s.state;
    // After a reload or from a link: say where the transcript came from, with the time it was last changed.
    const restored = s.restoredFrom ? ` Restored from the server (last changed ${s.restoredFrom}).` : '';
    ui.sessionStatus.textContent = `Conversation ${s.id.slice(0, 8)}… (${n} answered turn${n === 1 ? '' : 's'}), ${what}.${restored}`;
  }
  ui.sessionStatus.dataset.state = s?.state ?? 'none';
  updateControls();
}

function updateControls() {
  const hasImage = !!state.image;
  const canDraw = hasImage && !state.busy && sessionActive();
  editor.setEnabled(canDraw);
  ui.addBox.disabled = !canDraw || !editor.canAdd();
  ui.deleteBox.disabled = !canDraw || editor.selected < 0;
  ui.ask.disabled = state.busy || !sessionActive();
  ui.ask.textContent = state.busy ? 'Answering…' : 'Ask';
  ui.ask.setAttribute('aria-busy', String(state.busy));
  // Stop is offered once the server holds the turn being answered.
  ui.stop.hidden = !(state.busy && state.answering);
  ui.detect.disabled = !canDraw;
  ui.imageInput.disabled = state.busy;
}

function clearErrors() {
  state.boxErrors.clear();
  showError(ui.questionError, '');
  showError(ui.imageError, '');
  showError(ui.sessionError, '');
  showError(ui.detectError, '');
}

// ---- the question box ----

function insertRegion(n) {
  insertAtCursor(ui.question, regionTag(n));
}

ui.question.addEventListener('input', () => store.saveQuestion(state.session?.id, ui.question.value));
ui.question.addEventListener('keydown', (e) => {
  if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) {
    e.preventDefault();
    ui.form.requestSubmit();
  }
});

// ---- boxes ----

editor.addEventListener('change', () => {
  state.boxErrors.clear();
  if (state.image) store.saveDrafts(state.image.sha256, editor.drafts);
  renderRegions();
});
editor.addEventListener('select', () => {
  for (const li of ui.boxList.querySelectorAll('[data-kind="draft"]')) {
    li.classList.toggle('selected', Number(li.dataset.region) === editor.regionOf(editor.selected));
  }
  updateControls();
});
editor.addEventListener('delete', (e) => {
  ui.question.value = renumberAfterDelete(ui.question.value, e.detail.region);
  store.saveQuestion(state.session?.id, ui.question.value);
});
editor.addEventListener('insert', (e) => insertRegion(e.detail.region));
ui.addBox.addEventListener('click', () => {
  editor.addCentredBox();
  editor.focus();
});
ui.deleteBox.addEventListener('click', () => editor.deleteDraft(editor.selected));

// ---- the image ----

async function readImage(file) {
  if (file.type && !limits.imageTypes.includes(file.type)) {
    throw new Error(`${file.name} is ${file.type}; open a JPEG, PNG, WebP, BMP or GIF image.`);
  }
  if (file.size > limits.maxImageBytes) {
    throw new Error(`${file.name} has ${(file.size / 1048576).toFixed(1)} MiB; the limit is ${limits.maxImageBytes / 1048576} MiB.`);
  }
  const url = URL.createObjectURL(file);
  const img = new Image();
  img.alt = '';
  img.src = url;
  try {
    await img.decode();
  } catch {
    URL.revokeObjectURL(url);
    throw new Error(`${file.name || 'The file'} could not be read as an image.`);
  }
  const sha256 = await sha256Hex(file);
  return { blob: file, name: file.name || 'image', type: file.type, sha256, width: img.naturalWidth, height: img.naturalHeight, img, url };
}

function showImage(image) {
  if (state.image?.url && state.image.url !== image?.url) URL.revokeObjectURL(state.image.url);
  state.image = image;
  editor.setImage(image?.img ?? null);
  editor.setRegions(committedRegions(), image ? store.loadDrafts(image.sha256) : []);
  ui.dropZone.classList.toggle('has-image', !!image);
  renderRegions();
}

async function openFile(file) {
  if (!file || state.busy) return;
  showError(ui.imageError, '');
  let image;
  try {
    image = await readImage(file);
  } catch (err) {
    showError(ui.imageError, err.message);
    return;
  }
  const s = state.session;
  if (s && !state.image) {
    // A resumed conversation whose image this browser did not keep: it must be the same file.
    if (image.sha256 !== s.image?.sha256) {
      URL.revokeObjectURL(image.url);
      showError(
        ui.imageError,
        `This is not the image of this conversation (its SHA-256 starts ${image.sha256.slice(0, 12)}, the conversation's ${s.image?.sha256?.slice(0, 12) ?? 'is unknown'}). Open the same file, or start a new conversation.`,
      );
      return;
    }
    ui.reopen.hidden = true;
    showImage(image);
    store.saveImage(s.id, image);
    announce('Image re-opened');
    return;
  }
  if (s && image.sha256 !== s.image?.sha256) {
    // Another image: a new conversation. The old one stays on the server; Back returns to it.
    startNewConversation({ push: true });
  }
  showImage(image);
  store.saveImage(`draft:${store.tabId()}`, image);
  store.saveCurrentDraftImage({ sha256: image.sha256, name: image.name });
  announce(`Image ${image.name} opened, ${image.width} by ${image.height} pixels`);
}

ui.imageInput.addEventListener('change', () => {
  openFile(ui.imageInput.files?.[0]);
  ui.imageInput.value = '';
});
for (const target of [ui.dropZone, $('canvas-wrap')]) {
  target.addEventListener('dragover', (e) => {
    if (![...(e.dataTransfer?.types ?? [])].includes('Files')) return;
    e.preventDefault();
    ui.dropZone.classList.add('dragging');
  });
  target.addEventListener('dragleave', () => ui.dropZone.classList.remove('dragging'));
  target.addEventListener('drop', (e) => {
    e.preventDefault();
    ui.dropZone.classList.remove('dragging');
    openFile(e.dataTransfer?.files?.[0]);
  });
}

// ---- asking ----

/** Puts an API error next to what caused it: the image, a box, or the question. */
function placeAskError(err, offset) {
  const message = describeError(err);
  const imageProblem = err instanceof ApiError && (err.status === 413 || err.status === 415 || /image/i.test(err.title));
  if (imageProblem) {
    showError(ui.imageError, message);
    showError(ui.questionError, 'Not answered: the image was refused (see the image).');
    return;
  }
  const region = err instanceof ApiError ? regionFromDetail(err.detail, offset) : null;
  if (region !== null && region > offset && region <= offset + editor.drafts.length) {
    // "region 1: ..." counts the request's boxes; say which box of the page it is
    state.boxErrors.set(region, err.detail.replace(/^region \d+:/, `${regionTag(region)}:`));
    renderRegions();
    showError(ui.questionError, `Not answered: ${regionTag(region)} was refused (see the region list).`);
    return;
  }
  if (err instanceof ApiError && (err.status === 404 || err.status === 409) && state.session) {
    showError(ui.sessionError, `${message} Your boxes and question are kept: start a new conversation to ask again.`);
    refreshSession();
  }
  showError(ui.questionError, message);
}

async function waitForTurn(id, turnId, signal) {
  const started = Date.now();
  let delay = polling.firstDelayMs;
  while (Date.now() - started < polling.giveUpMs) {
    await new Promise((resolve, reject) => {
      const t = setTimeout(resolve, delay);
      signal?.addEventListener('abort', () => (clearTimeout(t), reject(signal.reason)), { once: true });
    });
    delay = Math.min(delay * 1.5, polling.maxDelayMs);
    const transcript = await getSession(id, { signal });
    const turn = transcript.turns?.find((t) => t.turn_id === turnId);
    if (turn) return { turn, transcript };
    if (transcript.state !== 'active') throw new ApiError({ status: 409, title: `session ${transcript.state}`, detail: 'the conversation ended before this turn was answered' });
  }
  throw new ApiError({ status: 504, title: 'still pending', detail: 'no answer after 10 minutes; reload the page later to see it' });
}

/** A recorded turn arrived: numbered boxes become regions, drafts and question are cleared. */
function settleTurn(item, turn, sent) {
  item.done(turn);
  const s = state.session;
  if (!s.turns.some((t) => t.turn_id === turn.turn_id)) s.turns.push(turn);
  store.savePending(s.id, null);
  if (turn.error) {
    placeAskError(new ApiError({ status: 422, title: turn.error.code?.replace('_', ' ') ?? 'error', detail: turn.error.message }), sent.offset);
    renderSession();
    return;
  }
  // The sent boxes are numbered now; boxes drawn meanwhile (none: editing is off while asking) would stay.
  const sentCount = typeof sent.regions === 'number' ? sent.regions : sent.regions.length;
  if (state.image) {
    editor.setRegions(committedRegions(), editor.drafts.slice(sentCount));
    store.saveDrafts(state.image.sha256, editor.drafts);
  } else if (s.image?.sha256) {
    store.saveDrafts(s.image.sha256, store.loadDrafts(s.image.sha256).slice(sentCount));
  }
  ui.question.value = '';
  store.saveQuestion(s.id, '');
  renderRegions();
  renderSession();
  announce(`Answer: ${turn.answer}`);
}

async function ask() {
  clearErrors();
  renderRegions();
  const question = ui.question.value.trim();
  const offset = committedRegions().length;
  const regions = editor.drafts.map((d) => [...d.box]);
  if (!state.session && !state.image) {
    showError(ui.questionError, 'Open an image first.');
    showError(ui.imageError, 'Open an image to ask about it.');
    return;
  }
  const problems = checkQuestion(question, offset, regions.length);
  if (problems.length) {
    for (const p of problems) if (p.region) state.boxErrors.set(p.region, p.message);
    renderRegions();
    showError(ui.questionError, problems.map((p) => p.message).join(' '));
    ui.question.focus();
    return;
  }

  state.busy = true;
  state.abort = new AbortController();
  const signal = state.abort.signal;
  updateControls();
  renderRegions();
  const t = turnItem(question);
  ui.transcript.append(t.item);
  t.item.scrollIntoView({ block: 'nearest' });
  const sent = { question, regions, offset };
  let submitted = false; // the server has the turn (it may still answer it)
  const onToken = (tok) => t.append(tok.text);
  const onTurn = (accepted) => {
    submitted = true;
    state.answering = { sessionId: accepted.id, turnId: accepted.turn_id };
    ui.stop.disabled = false;
    ui.stop.textContent = 'Stop answering';
    updateControls();
  };
  const onWaiting = (w) => t.waiting(`Waiting for the model… ${Math.round((w.waited_ms ?? 0) / 1000)} s`);
  try {
    t.streaming();
    const { status, body } = state.session
      ? await submitTurn(state.session.id, { question, regions, stream: true, signal, onToken, onTurn, onWaiting })
      : await createSession({
          image: state.image.blob,
          filename: state.image.name,
          question,
          regions,
          stream: true,
          signal,
          onToken,
          onTurn,
          onWaiting,
          onSession: (links) => adoptSession(links),
        });
    submitted = true;
    // A created session's body carries the turn ("turn"); a turn's body is the turn itself.
    const created = !!body.turns_url;
    if (created) adoptSession(body);
    let turn = created ? body.turn : body;
    if (status === 202 || !turn) {
      store.savePending(state.session.id, { turn_id: body.turn_id, question, regions: regions.length });
      t.pending('Waiting for the answer…');
      ({ turn } = await waitForTurn(state.session.id, body.turn_id, signal));
    }
    settleTurn(t, turn, sent);
  } catch (err) {
    if (err?.name === 'AbortError') {
      t.item.remove();
    } else if (err instanceof ApiError && err.extensions.turn_id && state.session) {
      // recorded as a failed turn: it stays in the transcript
      const failed = { turn_id: err.extensions.turn_id, question, regions: regions.map((box) => ({ region: null, box })), error: { code: err.extensions.code, message: err.detail } };
      settleTurn(t, failed, sent);
    } else {
      // Keep the item when it shows something (a streamed answer) or the server holds the turn; else drop it.
      if (submitted) t.fail(describeError(err));
      else if (t.hasAnswer()) t.fail(`Not recorded: ${describeError(err)}`);
      else t.item.remove();
      placeAskError(err, offset);
    }
  } finally {
    state.busy = false;
    state.abort = null;
    state.answering = null;
    updateControls();
    renderRegions();
  }
}

// Stop: the server ends the answer where it is and records the text so far; the stream then ends with that turn.
ui.stop.addEventListener('click', async () => {
  const answering = state.answering;
  if (!answering) return;
  ui.stop.disabled = true;
  ui.stop.textContent = 'Stopping…';
  try {
    await stopTurn(answering.sessionId, answering.turnId);
    announce('Stopping the answer');
  } catch (err) {
    ui.stop.disabled = false;
    ui.stop.textContent = 'Stop answering';
    showError(ui.questionError, `Could not stop the answer: ${describeError(err)}`);
  }
});

ui.form.addEventListener('submit', (e) => {
  e.preventDefault();
  if (!state.busy) ask();
});

/** A session was created: remember it in the URL and keep its image in the browser. */
function adoptSession(links) {
  if (!links?.id || state.session?.id === links.id) return;
  state.session = { id: links.id, state: links.state ?? 'active', image: { sha256: state.image?.sha256 }, turns: [] };
  setUrlSession(links.id);
  if (state.image) store.saveImage(links.id, state.image);
  store.saveQuestion(null, null);
  store.saveQuestion(links.id, ui.question.value);
  renderSession();
}

// ---- conversations ----

/** Reads the session's state again (after a 404 or 409: it may have expired or been deleted). */
async function refreshSession() {
  const s = state.session;
  try {
    const transcript = await getSession(s.id);
    s.state = transcript.state;
  } catch (err) {
    if (err instanceof ApiError && err.status === 404) s.state = 'deleted';
  }
  renderSession();
}

function startNewConversation({ push = false } = {}) {
  state.abort?.abort();
  state.session = null;
  setUrlSession(null, { push });
  ui.transcript.replaceChildren();
  ui.reopen.hidden = true;
  clearErrors();
  store.saveQuestion(null, ui.question.value); // what was typed stays
  renderRegions();
  renderSession();
}

ui.newConversation.addEventListener('click', () => {
  const hadImage = !!state.image;
  startNewConversation({ push: true });
  if (hadImage) store.saveImage(`draft:${store.tabId()}`, state.image);
  announce('New conversation');
});

let deleteArmed = null;
ui.deleteSession.addEventListener('click', async () => {
  const s = state.session;
  if (!s) return;
  if (!deleteArmed) {
    ui.deleteSession.textContent = 'Really delete?';
    deleteArmed = setTimeout(() => {
      ui.deleteSession.textContent = 'Delete conversation';
      deleteArmed = null;
    }, 4000);
    return;
  }
  clearTimeout(deleteArmed);
  deleteArmed = null;
  ui.deleteSession.textContent = 'Delete conversation';
  try {
    await deleteSession(s.id);
    store.forgetImage(s.id);
    s.state = 'deleted';
    renderSession();
    announce('Conversation deleted');
  } catch (err) {
    showError(ui.sessionError, describeError(err));
  }
});

window.addEventListener('popstate', () => window.location.reload());

/** When the transcript last changed, as the reader's local date and time; null when it does not say. */
function lastChanged(transcript) {
  const when = new Date(transcript.updated_utc ?? transcript.created_utc ?? NaN);
  return Number.isNaN(when.getTime()) ? null : when.toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' });
}

async function resume(id) {
  ui.sessionStatus.textContent = 'Loading the conversation…';
  let transcript;
  try {
    transcript = await getSession(id);
  } catch (err) {
    showError(ui.sessionError, `${describeError(err)} Start a new conversation.`);
    ui.sessionStatus.textContent = 'The conversation could not be loaded.';
    setUrlSession(null);
    return;
  }
  state.session = { id: transcript.id ?? id, state: transcript.state, image: transcript.image ?? {}, turns: transcript.turns ?? [], restoredFrom: lastChanged(transcript) };
  renderTranscript(ui.transcript, state.session.turns);
  ui.question.value = store.loadQuestion(id);

  const saved = await store.loadImage(id);
  let image = null;
  if (saved?.blob && saved.sha256 === transcript.image?.sha256) {
    try {
      image = await readImage(new File([saved.blob], saved.name || 'image', { type: saved.type || saved.blob.type }));
    } catch {
      image = null;
    }
  }
  if (!image && state.session.state === 'active') {
    // Not kept by this browser: take it from the session, if it is the transcript's image.
    try {
      const blob = await getSessionImage(id);
      const candidate = await readImage(new File([blob], transcript.image?.source?.split('/').pop() || 'image', { type: blob.type }));
      if (candidate.sha256 === transcript.image?.sha256) {
        image = candidate;
        store.saveImage(id, image);
      } else {
        URL.revokeObjectURL(candidate.url);
      }
    } catch {
      image = null; // expired or gone: the user is asked for the file below
    }
  }
  if (image) {
    showImage(image);
  } else {
    renderRegions();
    if (state.session.state === 'active' || state.session.state === 'expired') {
      ui.reopen.textContent = `This browser did not keep the image of this conversation. Open the same file to see it and draw new boxes (SHA-256 ${transcript.image?.sha256?.slice(0, 16) ?? '?'}…).`;
      ui.reopen.hidden = false;
    }
  }
  renderSession();

  // a turn sent before the reload and not answered yet
  const pending = store.loadPending(id);
  if (pending && state.session.state === 'active' && !state.session.turns.some((t) => t.turn_id === pending.turn_id)) {
    const t = turnItem(pending.question, { turnId: pending.turn_id });
    ui.transcript.append(t.item);
    t.pending('Waiting for the answer…');
    state.busy = true;
    updateControls();
    try {
      const { turn } = await waitForTurn(id, pending.turn_id);
      settleTurn(t, turn, { question: pending.question, regions: pending.regions ?? 0, offset: committedRegions().length });
    } catch (err) {
      t.fail(describeError(err));
      store.savePending(id, null);
    } finally {
      state.busy = false;
      updateControls();
    }
  } else if (pending) {
    store.savePending(id, null);
  }
}

// ---- start ----

async function start() {
  getHealth()
    .then((health) => {
      state.health = health;
      ui.health.textContent = `Model ${health.model ?? '?'} (${[health.variant, health.execution_provider].filter(Boolean).join(', ')})`;
      ui.health.dataset.state = health.status ?? 'ok';
      setupDetector({
        button: ui.detect,
        health,
        getImage: () => state.image,
        addBoxes: (boxes) => {
          let added = 0;
          for (const { box, label } of boxes) if (editor.addBox(box, label) >= 0) added++;
          return added;
        },
        onStart: () => showError(ui.detectError, ''),
        onDone: (added, found) => announce(`${found} objects detected, ${added} boxes added`),
        onError: (err) => showError(ui.detectError, describeError(err)),
      });
      updateControls();
    })
    .catch((err) => {
      ui.health.textContent = 'API not reachable';
      ui.health.dataset.state = 'down';
      showError(ui.pageError, `The API did not answer its health check: ${describeError(err)}`);
    });

  const params = new URLSearchParams(window.location.search);
  const hash = new URLSearchParams(window.location.hash.slice(1));
  const id = params.get('session') || hash.get('session');
  if (id) {
    await resume(id);
    return;
  }
  ui.question.value = store.loadQuestion(null);
  const draft = store.loadCurrentDraftImage();
  if (draft) {
    const saved = await store.loadImage(`draft:${store.tabId()}`);
    if (saved?.blob && saved.sha256 === draft.sha256) {
      try {
        showImage(await readImage(new File([saved.blob], saved.name || 'image', { type: saved.type || saved.blob.type })));
      } catch {
        // the stored copy is unusable: the user opens the image again
      }
    }
  }
  renderRegions();
  renderSession();
}

start();
