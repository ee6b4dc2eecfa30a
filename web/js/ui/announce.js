// One polite aria-live region for what the canvas does (moves, connections, undo), and a
// visible status line for results and errors.
let region;
let status;

export function initAnnouncer(liveRegion, statusLine) {
  region = liveRegion;
  status = statusLine;
}

/** Says `text` to screen readers (re-setting it so repeated messages are read again). */
export function announce(text) {
  if (!region || !text) return;
  region.textContent = '';
  requestAnimationFrame(() => {
    region.textContent = text;
  });
}

/** Shows `text` in the status line (kind: info | error | ok) and announces it. */
export function setStatus(text, kind = 'info') {
  if (status) {
    status.textContent = text;
    status.className = `status-line ${kind}`;
  }
  announce(text);
}
