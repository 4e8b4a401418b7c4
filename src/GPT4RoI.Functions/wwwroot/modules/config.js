// Where the API is and how to authenticate, read once from the page.

const pageParams = new URLSearchParams(window.location.search);

/** The Functions key from the page URL (?code=...), forwarded to every API call; null when absent. */
export const functionKey = pageParams.get('code') || null;

/**
 * The API root. The page is served under the API's route prefix (/api/app/), so "../" is /api/; a
 * <meta name="gpt4roi-api-base"> in index.html may say otherwise.
 */
export const apiBase = new URL(
  document.querySelector('meta[name="gpt4roi-api-base"]')?.getAttribute('content') || '../',
  document.baseURI,
);

/** Limits the page checks before sending (the server checks again; docs/api.md). */
export const limits = Object.freeze({
  maxImageBytes: 20 * 1024 * 1024,
  maxRegions: 32,
  maxQuestionChars: 4096,
  imageTypes: ['image/jpeg', 'image/png', 'image/webp', 'image/bmp', 'image/gif'],
});

/** How long to wait for a pending session turn, and how often to look. */
export const polling = Object.freeze({ firstDelayMs: 500, maxDelayMs: 4000, giveUpMs: 10 * 60 * 1000 });
