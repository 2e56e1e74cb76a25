// ScanHub dashboard enhancements. Pages work without this script; it only adds in-page progress for
// long operations and confirmations. Same-origin only (the CSP allows nothing else).
'use strict';
(function () {
  const csrf = () => document.querySelector('main')?.dataset.csrf ?? '';

  /** Calls the JSON API with the page session; unsafe methods carry the CSRF token. */
  async function api(method, url, body) {
    const headers = { Accept: 'application/json', 'X-CSRF-Token': csrf() };
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    const res = await fetch(url, { method, headers, credentials: 'same-origin', body: body === undefined ? undefined : JSON.stringify(body) });
    const text = await res.text();
    let json;
    try { json = text ? JSON.parse(text) : undefined; } catch { json = undefined; }
    if (!res.ok) throw new Error(json?.error?.message ?? `HTTP ${res.status}`);
    return json;
  }
  window.scanhub = { api };

  // <form data-confirm="Really?"> asks before submitting.
  document.addEventListener('submit', (event) => {
    const form = event.target;
    if (form instanceof HTMLFormElement && form.dataset.confirm && !window.confirm(form.dataset.confirm)) event.preventDefault();
  });
})();
