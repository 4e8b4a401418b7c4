// "Detect objects": asks the detector (POST /api/describe) for boxes and adds them as draft boxes. Shown only
// when GET /api/health lists a detector ({"detector": {"model", "classes"}}); kept apart from the rest.

import { describeImage } from './api.js';
import { normaliseBox } from './boxes.js';

/**
 * button: the Detect button; health: the health JSON (or null); getImage(): {blob, name, width, height} or
 * null; addBoxes([{box, label}]): adds draft boxes, returns how many fit; onError(err), onStart(), onDone(n).
 */
export function setupDetector({ button, health, getImage, addBoxes, onError, onStart, onDone }) {
  const detector = health?.detector;
  button.hidden = !detector;
  if (!detector) return;
  button.title = `Detector: ${detector.model ?? 'unknown'}`;
  button.addEventListener('click', async () => {
    const image = getImage();
    if (!image) return;
    button.disabled = true;
    button.setAttribute('aria-busy', 'true');
    onStart?.();
    try {
      const body = await describeImage({ image: image.blob, filename: image.name });
      const detections = Array.isArray(body) ? body : body?.objects ?? body?.detections ?? [];
      const boxes = detections
        .filter((d) => Array.isArray(d.box) && d.box.length === 4)
        .map((d) => ({
          box: normaliseBox(d.box, image.width, image.height),
          label: [d.label, typeof d.score === 'number' ? d.score.toFixed(2) : null].filter(Boolean).join(' ') || undefined,
        }))
        .filter((d) => d.box[2] > d.box[0] && d.box[3] > d.box[1]);
      onDone?.(addBoxes(boxes), detections.length);
    } catch (err) {
      onError?.(err);
    } finally {
      button.disabled = false;
      button.removeAttribute('aria-busy');
    }
  });
}
