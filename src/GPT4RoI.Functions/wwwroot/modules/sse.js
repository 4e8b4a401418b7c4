// Server-sent events over fetch: EventSource cannot POST, so the page reads the response body itself.
// Follows the WHATWG event-stream rules: lines end in CRLF, LF or CR; "event", "data", "id", "retry" fields;
// lines starting with ":" are comments; a blank line dispatches; an unfinished event at the end is dropped.

/** A push parser: feed it text with push(), then end(). onEvent gets {event, data, id}. */
export function createSseParser(onEvent) {
  let buffer = '';
  let eventType = '';
  let dataLines = [];
  let lastEventId = '';

  function dispatch() {
    if (dataLines.length === 0) {
      eventType = '';
      return;
    }
    const ev = { event: eventType || 'message', data: dataLines.join('\n'), id: lastEventId };
    eventType = '';
    dataLines = [];
    onEvent(ev);
  }

  function line(text) {
    if (text === '') {
      dispatch();
      return;
    }
    if (text.startsWith(':')) return;
    const colon = text.indexOf(':');
    const field = colon < 0 ? text : text.slice(0, colon);
    let value = colon < 0 ? '' : text.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    switch (field) {
      case 'event': eventType = value; break;
      case 'data': dataLines.push(value); break;
      case 'id': if (!value.includes('\0')) lastEventId = value; break;
      default: break; // "retry" and unknown fields: nothing to do for a one-shot stream
    }
  }

  function drain(final) {
    let start = 0;
    for (let i = 0; i < buffer.length; i++) {
      const c = buffer.charCodeAt(i);
      if (c !== 10 && c !== 13) continue;
      if (c === 13 && i + 1 === buffer.length && !final) break; // maybe the CR of a CRLF split across chunks
      line(buffer.slice(start, i));
      if (c === 13 && buffer.charCodeAt(i + 1) === 10) i++;
      start = i + 1;
    }
    buffer = buffer.slice(start);
  }

  return {
    push(text) {
      buffer += text;
      drain(false);
    },
    end() {
      drain(true);
      // Whatever is left is an unterminated line of an unfinished event: dropped, as the standard says.
      buffer = '';
      dataLines = [];
      eventType = '';
    },
  };
}

/** Reads a ReadableStream of bytes as server-sent events; yields {event, data, id}. */
export async function* readSse(body, signal) {
  const reader = body.getReader();
  const decoder = new TextDecoder('utf-8'); // strips a leading BOM
  const queue = [];
  const parser = createSseParser((ev) => queue.push(ev));
  let finished = false;
  try {
    while (true) {
      if (signal?.aborted) throw signal.reason ?? new DOMException('aborted', 'AbortError');
      const { value, done } = await reader.read();
      if (done) {
        parser.push(decoder.decode());
        parser.end();
        finished = true;
        while (queue.length) yield queue.shift();
        return;
      }
      parser.push(decoder.decode(value, { stream: true }));
      while (queue.length) yield queue.shift();
    }
  } finally {
    // Stopped early (an error event, an abort): let the server know nobody reads on.
    if (!finished) reader.cancel().catch(() => {});
    else reader.releaseLock();
  }
}

/** True when a response carries an event stream. */
export function isEventStream(response) {
  return (response.headers.get('content-type') || '').toLowerCase().startsWith('text/event-stream');
}
