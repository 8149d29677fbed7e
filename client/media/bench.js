// The benchmark report's script (loaded from the extension, allowed by the CSP's script-src; nothing inline).
// Export JSON / Export CSV: the extension holds the report and shows the save dialog; the page only asks.
(function () {
  'use strict';
  const vscode = typeof acquireVsCodeApi === 'function' ? acquireVsCodeApi() : undefined;
  if (!vscode) return;
  for (const [id, format] of [
    ['export-json', 'json'],
    ['export-csv', 'csv'],
  ]) {
    const button = document.getElementById(id);
    if (button) button.addEventListener('click', () => vscode.postMessage({ type: 'export', format }));
  }
})();
