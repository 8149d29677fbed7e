// The Database Health panel's script (loaded from the extension, allowed by the CSP's script-src; nothing inline).
// Every button only asks: Refresh, the auto-refresh toggle, Copy / Open in Editor of a fix by its index, and a
// finding's place in the code (open it, or Explain Analyze it). The extension copies a fix's SQL or opens it in an
// untitled editor; nothing here or there runs it.
(function () {
  'use strict';
  const vscode = typeof acquireVsCodeApi === 'function' ? acquireVsCodeApi() : undefined;
  if (!vscode) return;
  const refresh = document.getElementById('refresh');
  if (refresh)
    refresh.addEventListener('click', () => {
      refresh.disabled = true;
      refresh.textContent = 'Refreshing…';
      vscode.postMessage({ type: 'refresh' });
    });
  const auto = document.getElementById('auto-refresh');
  if (auto) auto.addEventListener('change', () => vscode.postMessage({ type: 'autoRefresh', on: auto.checked }));
  for (const [cls, type] of [
    ['copy-fix', 'copy'],
    ['open-fix', 'open'],
  ]) {
    for (const button of document.getElementsByClassName(cls)) {
      button.addEventListener('click', () => vscode.postMessage({ type, index: Number(button.getAttribute('data-index')) }));
    }
  }
  // A finding's place in the code: open the file there, or run Explain Analyze on that statement.
  for (const [cls, type] of [
    ['goto-code', 'goto'],
    ['explain-code', 'explain'],
  ]) {
    for (const button of document.getElementsByClassName(cls)) {
      button.addEventListener('click', () => vscode.postMessage({ type, link: Number(button.getAttribute('data-link')) }));
    }
  }
})();
