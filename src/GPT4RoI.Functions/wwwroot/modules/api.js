// The HTTP API of docs/api.md: sessions (streamed), health, and the detector.
// Every call forwards the page's ?code= (Functions key). Errors become ApiError with the problem's fields.

import { apiBase, functionKey } from './config.js';
import { isEventStream, readSse } from './sse.js';

/** An API failure: RFC 7807 fields (status, title, detail) plus any extensions (turn_id, code, ...). */
export class ApiError extends Error {
  constructor({ status = 0, title = 'error', detail = '', retryAfter = null, ...extensions } = {}) {
    super(detail || title);
    this.name = 'ApiError';
    this.status = status;
    this.title = title;
    this.detail = detail;
    this.retryAfter = retryAfter;
    this.extensions = extensions;
  }
}

/** The absolute URL of an API path, with ?code= when the page has one. */
export function apiUrl(path) {
  const url = new URL(path.replace(/^\//, ''), apiBase);
  if (functionKey) url.searchParams.set('code', functionKey);
  return url.toString();
}

async function send(path, init = {}) {
  let response;
  try {
    response = await fetch(apiUrl(path), { credentials: 'same-origin', ...init });
  } catch (err) {
    if (err?.name === 'AbortError') throw err;
    throw new ApiError({ status: 0, title: 'network error', detail: 'The server could not be reached. Check the connection and try again.' });
  }
  if (!response.ok) throw await problemOf(response);
  return response;
}

/** Reads a failed response as problem details (or whatever text it has). */
export async function problemOf(response) {
  const type = (response.headers.get('content-type') || '').toLowerCase();
  const retry = response.headers.get('retry-after');
  let body = null;
  try {
    body = type.includes('json') ? await response.json() : { detail: (await response.text()).slice(0, 500) };
  } catch {
    body = null;
  }
  const { status, title, detail, type: _type, instance: _instance, ...extensions } = body || {};
  return new ApiError({
    ...extensions,
    status: status || response.status,
    title: title || response.statusText || `HTTP ${response.status}`,
    detail: detail || '',
    retryAfter: retry ? Number(retry) || retry : null,
  });
}

/** The error an SSE "error" event carries: {status, detail} (+ title, turn_id, code where given). */
function streamError(data) {
  let body = {};
  try {
    body = JSON.parse(data);
  } catch {
    body = { detail: data };
  }
  return new ApiError({ ...body, status: body.status || 500, title: body.title || 'error', detail: body.detail || '' });
}

/**
 * Reads an answer that may come as JSON or as server-sent events. Events: "session" (a created session's
 * links, before any token), "turn" {id, turn_id} (the server holds the turn), "waiting" {waited_ms} (no token yet,
 * every few seconds), "token" {id, text}, then "result"
 * (the final body, as the JSON answer's), "pending" (no answer within the server's wait: read as a 202 body
 * {id, turn_id, status, status_url}) or "error" {status, detail, code, turn_id?}.
 */
async function readAnswer(response, { onToken, onSession, onTurn, onWaiting, signal } = {}) {
  if (!isEventStream(response)) {
    const body = response.status === 204 ? null : await response.json();
    return { status: response.status, body };
  }
  let result = null;
  let status = response.status;
  for await (const ev of readSse(response.body, signal)) {
    if (ev.event === 'token') onToken?.(JSON.parse(ev.data));
    else if (ev.event === 'session') onSession?.(JSON.parse(ev.data));
    else if (ev.event === 'turn') onTurn?.(JSON.parse(ev.data));
    else if (ev.event === 'waiting') onWaiting?.(JSON.parse(ev.data));
    else if (ev.event === 'result') result = JSON.parse(ev.data);
    else if (ev.event === 'pending') {
      result = JSON.parse(ev.data);
      status = 202;
    } else if (ev.event === 'error') throw streamError(ev.data);
  }
  if (!result) throw new ApiError({ status: 0, title: 'stream ended', detail: 'The answer stream ended before its result; try again.' });
  return { status, body: result };
}

/** GET /api/health → {status, model, variant, execution_provider, image_cache, detector?}. */
export async function getHealth({ signal } = {}) {
  const response = await send('health', { headers: { Accept: 'application/json' }, signal });
  return response.json();
}

function imageForm(image, filename, request) {
  const form = new FormData();
  form.append('image', image, filename || 'image');
  // A plain field, not a file part: the server reads it as the form value "request".
  if (request) form.append('request', JSON.stringify(request));
  return form;
}

const accept = (stream) => (stream ? 'text/event-stream, application/json;q=0.9' : 'application/json');

/**
 * POST /api/sessions: multipart image + request {question, regions}. 201 {id, status_url, turns_url, state,
 * turn_id?, turn?}. With stream (and a question) the answer comes as events: "session", "turn", tokens, then
 * "result" (the 201 body) or "pending"; a JSON answer is read the same way.
 */
export async function createSession({ image, filename, question, regions, stream = false, onToken, onSession, onTurn, onWaiting, signal }) {
  const request = question ? { question, regions } : undefined;
  const response = await send('sessions', {
    method: 'POST',
    headers: { Accept: accept(stream) },
    body: imageForm(image, filename, request),
    signal,
  });
  return readAnswer(response, { onToken, onSession, onTurn, onWaiting, signal });
}

/**
 * POST /api/sessions/{id}/turns: JSON {question, regions} with only the NEW boxes. 200 the turn; 202
 * {id, turn_id, status: "pending", status_url}; 422 a recorded failed turn (ApiError with turn_id, code). With
 * stream the same come as events: "turn", tokens, then "result", "pending" or "error".
 */
export async function submitTurn(id, { question, regions, stream = false, onToken, onTurn, onWaiting, signal }) {
  const response = await send(`sessions/${encodeURIComponent(id)}/turns`, {
    method: 'POST',
    headers: { Accept: accept(stream), 'Content-Type': 'application/json' },
    body: JSON.stringify({ question, regions }),
    signal,
  });
  return readAnswer(response, { onToken, onTurn, onWaiting, signal });
}

/**
 * POST /api/sessions/{id}/turns/{turnId}/stop: the answer ends where it is and the text so far is recorded.
 * 202 {id, turn_id, status: "stopping"}; 200 the turn when it was already recorded.
 */
export async function stopTurn(id, turnId) {
  const response = await send(`sessions/${encodeURIComponent(id)}/turns/${encodeURIComponent(turnId)}/stop`, {
    method: 'POST',
    headers: { Accept: 'application/json' },
  });
  return response.json();
}

/** GET /api/sessions/{id} → the transcript {id, state, image: {sha256, size, source}, turns, runtime_status, ...}. */
export async function getSession(id, { signal } = {}) {
  const response = await send(`sessions/${encodeURIComponent(id)}`, { headers: { Accept: 'application/json' }, signal });
  return response.json();
}

/** GET /api/sessions/{id}/image → the session's image (a Blob), while the session keeps it (404/410 otherwise). */
export async function getSessionImage(id, { signal } = {}) {
  const response = await send(`sessions/${encodeURIComponent(id)}/image`, { signal });
  return response.blob();
}

/** DELETE /api/sessions/{id} → 204. */
export async function deleteSession(id) {
  await send(`sessions/${encodeURIComponent(id)}`, { method: 'DELETE' });
}

/** POST /api/describe: multipart image → {objects: [{box, label, score, answer}], ...} (docs/api.md). */
export async function describeImage({ image, filename, signal }) {
  const response = await send('describe', {
    method: 'POST',
    headers: { Accept: 'application/json' },
    body: imageForm(image, filename),
    signal,
  });
  return response.json();
}
