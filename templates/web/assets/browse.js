// Browse pages: prepares the PDF report in the background (it takes seconds) and offers the download
// when it is ready, so the page stays usable; and a "select all" box on the findings explorer.
// Without this script the PDF link is a plain download and every checkbox works on its own.
'use strict';
(function () {
  for (const holder of document.querySelectorAll('[data-pdf]')) {
    const link = holder.querySelector('a');
    const status = holder.querySelector('.pdf-status');
    if (!link || !status) continue;
    let ready = null;
    link.addEventListener('click', async (event) => {
      if (ready) return; // the prepared file: let the browser download it
      event.preventDefault();
      if (holder.getAttribute('aria-busy') === 'true') return;
      holder.setAttribute('aria-busy', 'true');
      status.textContent = '';
      const progress = document.createElement('progress');
      progress.setAttribute('aria-label', 'Preparing the PDF');
      status.append(progress, ' Preparing the PDF…');
      try {
        const res = await fetch(holder.dataset.pdf, { credentials: 'same-origin' });
        if (!res.ok) {
          let message = `HTTP ${res.status}`;
          try { message = (await res.json()).error.message; } catch { /* not JSON */ }
          throw new Error(message);
        }
        const name = /filename="([^"]+)"/.exec(res.headers.get('content-disposition') ?? '')?.[1] ?? 'report.pdf';
        const blob = await res.blob();
        ready = URL.createObjectURL(blob);
        link.href = ready;
        link.download = name;
        link.textContent = `Download the PDF (${Math.max(1, Math.round(blob.size / 1024))} KB)`;
        status.textContent = 'The PDF is ready.';
        link.focus();
      } catch (error) {
        status.textContent = `The PDF could not be made: ${error.message}. `;
        const retry = document.createElement('a');
        retry.href = holder.dataset.pdf;
        retry.textContent = 'Try the direct download';
        status.append(retry);
      } finally {
        holder.removeAttribute('aria-busy');
      }
    });
  }

  const all = document.getElementById('select-all');
  if (all) {
    all.hidden = false;
    all.closest('[hidden]')?.removeAttribute('hidden');
    const boxes = () => document.querySelectorAll('input[name="finding"][type="checkbox"]');
    all.addEventListener('change', () => { for (const box of boxes()) box.checked = all.checked; });
  }
})();
