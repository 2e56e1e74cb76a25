// ScanHub manage pages: policy validation while typing, the dry run, channel tests, data updates and
// integration checks run in the background with progress. Every form also works without this script.
'use strict';
(function () {
  const api = (...args) => window.scanhub.api(...args);
  const el = (tag, attrs, ...children) => {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs ?? {})) node.setAttribute(k, v);
    for (const c of children) node.append(c);
    return node;
  };
  const busy = (button, on) => {
    button.disabled = on;
    button.setAttribute('aria-busy', String(on));
  };

  // ── Policy editor: server-side validation as you type (debounced), results at line and column.
  const policyForm = document.getElementById('policy-form');
  const source = document.getElementById('policy-source');
  const problemsBox = document.getElementById('policy-problems');
  if (policyForm && source && problemsBox) {
    let timer;
    let latest = 0;
    const showProblems = (problems) => {
      problemsBox.replaceChildren();
      if (!problems.length) {
        problemsBox.append(el('p', { class: 'ok' }, 'The policy is valid.'));
        return;
      }
      problemsBox.append(el('p', { class: 'error' }, 'The policy is not valid:'));
      const list = el('ul', { class: 'errors' });
      for (const p of problems) {
        const where = p.line ? `Line ${p.line}, column ${p.column}: ` : '';
        list.append(el('li', {}, where + (p.path ? `${p.path}: ` : '') + p.message));
      }
      problemsBox.append(list);
    };
    const validate = async () => {
      const ticket = ++latest;
      try {
        const result = await api('POST', policyForm.dataset.validate, { policy: source.value || ' ' });
        if (ticket === latest) showProblems(result.problems);
      } catch (error) {
        if (ticket === latest) problemsBox.replaceChildren(el('p', { class: 'error' }, `Could not check the policy: ${error.message}`));
      }
    };
    source.addEventListener('input', () => {
      clearTimeout(timer);
      timer = setTimeout(validate, 350);
    });

    // ── Dry run: one request per project that follows the policy, a progress bar across them.
    const dryButton = document.getElementById('dry-run-button');
    const dry = document.getElementById('dry-run');
    if (dryButton && dry) {
      dryButton.addEventListener('click', async (event) => {
        event.preventDefault();
        const urls = dry.dataset.targets.trim().split(/\s+/).filter(Boolean);
        const names = dry.dataset.names.split('|').filter(Boolean);
        const progress = document.getElementById('dry-run-progress');
        const results = document.getElementById('dry-run-results');
        const bar = el('progress', { max: String(urls.length), value: '0', 'aria-label': 'Dry run progress' });
        const label = el('span', {}, ` 0 of ${urls.length} projects`);
        progress.replaceChildren(bar, label);
        results.replaceChildren();
        busy(dryButton, true);
        const body = el('tbody');
        let rows = 0;
        try {
          for (let i = 0; i < urls.length; i++) {
            const { items } = await api('POST', urls[i], { policy: source.value });
            for (const item of items) {
              rows++;
              const verdict = (v) => el('span', { class: `verdict verdict-${v ?? 'none'}` }, (v ?? 'none').toUpperCase());
              body.append(el('tr', {}, el('td', {}, names[i]), el('td', {}, el('code', {}, item.submissionId)), el('td', {}, el('code', {}, item.ref)), el('td', {}, item.createdAt), el('td', {}, verdict(item.current)), el('td', {}, verdict(item.candidate)), el('td', {}, item.changed ? el('strong', {}, 'changes') : 'same')));
            }
            bar.value = i + 1;
            label.textContent = ` ${i + 1} of ${urls.length} projects`;
          }
          const head = el('tr', {}, ...['Project', 'Submission', 'Ref', 'When', 'Now', 'Edited', 'Changes'].map((h) => el('th', { scope: 'col' }, h)));
          results.replaceChildren(rows ? el('div', { class: 'table-wrap' }, el('table', {}, el('caption', { class: 'meta' }, 'Verdicts now and under the edited policy'), el('thead', {}, head), body)) : el('p', {}, 'No submissions to re-assess yet.'));
          progress.replaceChildren(el('span', { class: 'ok' }, `Dry run done: ${rows} submissions re-assessed.`));
        } catch (error) {
          progress.replaceChildren(el('span', { class: 'error' }, `Dry run failed: ${error.message}`));
        } finally {
          busy(dryButton, false);
        }
      });
    }
  }

  // ── Buttons that call the API and show the answer beside them: <form data-api="POST /api/…">.
  const renderers = {
    channelTest: (r) => (r.ok ? el('span', { class: 'ok' }, 'Sent.') : el('span', { class: 'error' }, `${r.error.code}: ${r.error.message}`)),
    verify: (r) => {
      const list = el('ul', { class: r.ok ? 'ok' : 'errors' });
      for (const c of r.checks) list.append(el('li', { class: c.ok ? 'ok' : 'error' }, `${c.ok ? 'OK' : 'FAILED'} ${c.name}: ${c.code ? `${c.code} ` : ''}${c.message ?? ''}`));
      return list;
    },
    dataUpdate: (r) => {
      const list = el('ul', {});
      for (const x of r.results) list.append(el('li', { class: x.outcome === 'failed' ? 'error' : 'ok' }, `${x.source}: ${x.outcome}${x.reason ? ` — ${x.reason}` : ''}`));
      return list;
    },
  };
  document.addEventListener('submit', async (event) => {
    const form = event.target;
    if (!(form instanceof HTMLFormElement) || !form.dataset.api || event.defaultPrevented) return;
    event.preventDefault();
    const [method, path] = form.dataset.api.split(' ');
    // Inputs marked data-query (what a verification checks: a GitLab project, a Jenkins job) go in the query.
    const query = new URLSearchParams();
    for (const input of form.querySelectorAll('input[data-query]')) if (input.value.trim()) query.set(input.dataset.query, input.value.trim());
    const url = query.size ? `${path}?${query}` : path;
    const out = document.getElementById(form.dataset.output);
    const button = form.querySelector('button');
    const body = form.dataset.body ? JSON.parse(form.dataset.body) : {};
    out.replaceChildren(el('progress', { 'aria-label': form.dataset.progress ?? 'Working' }), ` ${form.dataset.progress ?? 'Working'}…`);
    busy(button, true);
    try {
      const result = await window.fetch(url, { method, headers: { 'Content-Type': 'application/json', Accept: 'application/json', 'X-CSRF-Token': document.querySelector('main').dataset.csrf }, credentials: 'same-origin', body: JSON.stringify(body) });
      const json = await result.json().catch(() => ({}));
      if (!result.ok && !(json && 'ok' in json)) throw new Error(json?.error?.message ?? `HTTP ${result.status}`);
      out.replaceChildren(renderers[form.dataset.render](json));
      if (form.dataset.reload === 'true') setTimeout(() => window.location.reload(), 1500);
    } catch (error) {
      out.replaceChildren(el('span', { class: 'error' }, `Failed: ${error.message}`));
    } finally {
      busy(button, false);
    }
  });
})();
