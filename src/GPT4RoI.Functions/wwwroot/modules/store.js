// What the page keeps in the browser so a reload loses nothing:
// - the image of each conversation (IndexedDB, keyed by session id; the API has no GET for it), bounded;
// - the draft boxes of the current image and the typed question (sessionStorage, per tab);
// - a turn still pending when the page was closed (sessionStorage), to go on waiting for it.

const DB_NAME = 'gpt4roi-page';
const STORE = 'images';
const MAX_IMAGES = 8; // the oldest are dropped beyond this
const MAX_IMAGE_BYTES = 20 * 1024 * 1024;

let dbPromise = null;

function openDb() {
  if (!('indexedDB' in window)) return Promise.resolve(null);
  dbPromise ??= new Promise((resolve) => {
    const req = indexedDB.open(DB_NAME, 1);
    req.onupgradeneeded = () => req.result.createObjectStore(STORE);
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => resolve(null); // private modes may refuse: the page works without it
    req.onblocked = () => resolve(null);
  });
  return dbPromise;
}

function run(mode, fn) {
  return openDb().then((db) => {
    if (!db) return null;
    return new Promise((resolve) => {
      const tx = db.transaction(STORE, mode);
      const result = fn(tx.objectStore(STORE));
      tx.oncomplete = () => resolve(result?.result ?? null);
      tx.onerror = () => resolve(null);
      tx.onabort = () => resolve(null);
    });
  });
}

/** Keeps an image for key (a session id, or "draft:<tab>"); false when it is too large or storage refuses. */
export async function saveImage(key, { blob, name, type, sha256 }) {
  if (!blob || blob.size > MAX_IMAGE_BYTES) return false;
  const ok = await run('readwrite', (s) => s.put({ blob, name, type, sha256, savedAt: Date.now() }, key));
  await prune();
  return ok !== null;
}

export function loadImage(key) {
  return run('readonly', (s) => s.get(key));
}

export function forgetImage(key) {
  return run('readwrite', (s) => s.delete(key));
}

async function prune() {
  const db = await openDb();
  if (!db) return;
  const entries = await new Promise((resolve) => {
    const out = [];
    const tx = db.transaction(STORE, 'readonly');
    const cursor = tx.objectStore(STORE).openCursor();
    cursor.onsuccess = () => {
      const c = cursor.result;
      if (!c) return;
      out.push({ key: c.key, savedAt: c.value?.savedAt ?? 0 });
      c.continue();
    };
    tx.oncomplete = () => resolve(out);
    tx.onerror = () => resolve(out);
  });
  entries.sort((a, b) => b.savedAt - a.savedAt);
  for (const { key } of entries.slice(MAX_IMAGES)) await forgetImage(key);
}

// ---- sessionStorage: small JSON values, per tab ----

function get(key) {
  try {
    return JSON.parse(sessionStorage.getItem(key) ?? 'null');
  } catch {
    return null;
  }
}

function set(key, value) {
  try {
    if (value === null || value === undefined) sessionStorage.removeItem(key);
    else sessionStorage.setItem(key, JSON.stringify(value));
  } catch {
    // full or refused: the page keeps working from memory
  }
}

/** A random id for this tab (its draft image key). */
export function tabId() {
  let id = get('gpt4roi:tab');
  if (!id) {
    id = Math.random().toString(36).slice(2, 10);
    set('gpt4roi:tab', id);
  }
  return id;
}

/** Draft boxes of an image, keyed by its SHA-256: [{box, label?}]. */
export const loadDrafts = (sha) => (sha ? get(`gpt4roi:drafts:${sha}`) : null) ?? [];
export const saveDrafts = (sha, drafts) => sha && set(`gpt4roi:drafts:${sha}`, drafts.length ? drafts : null);

/** The question being typed, per conversation ("new" before one exists). */
export const loadQuestion = (sessionId) => get(`gpt4roi:question:${sessionId || 'new'}`) ?? '';
export const saveQuestion = (sessionId, text) => set(`gpt4roi:question:${sessionId || 'new'}`, text || null);

/** A turn submitted but not yet answered: {turn_id, question}. */
export const loadPending = (sessionId) => get(`gpt4roi:pending:${sessionId}`);
export const savePending = (sessionId, pending) => set(`gpt4roi:pending:${sessionId}`, pending);

/** The current image of this tab when no conversation holds it yet: {sha256, name}. */
export const loadCurrentDraftImage = () => get('gpt4roi:draft-image');
export const saveCurrentDraftImage = (info) => set('gpt4roi:draft-image', info);
