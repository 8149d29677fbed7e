// The EXPLAIN panel's script (loaded from the extension, allowed by the CSP's script-src; nothing inline).
// Tabs (plan / raw JSON), expand/collapse, jumping from a finding to its node, and "copy as text": the
// extension builds the text and writes the clipboard, the page only asks for it.
(function () {
  'use strict';
  const vscode = typeof acquireVsCodeApi === 'function' ? acquireVsCodeApi() : undefined;
  const $ = (id) => document.getElementById(id);

  function select(tabId) {
    for (const tab of document.querySelectorAll('[role="tab"]')) {
      const selected = tab.id === tabId;
      tab.setAttribute('aria-selected', String(selected));
      const panel = $(tab.getAttribute('aria-controls'));
      if (panel) panel.hidden = !selected;
    }
    if (vscode) vscode.setState(Object.assign({}, vscode.getState(), { tab: tabId }));
  }
  for (const tab of document.querySelectorAll('[role="tab"]')) tab.addEventListener('click', () => select(tab.id));
  const state = vscode ? vscode.getState() : undefined;
  if (state && state.tab && $(state.tab)) select(state.tab);

  const setOpen = (open) => {
    for (const d of document.querySelectorAll('details.node')) d.open = open;
  };
  const expand = $('expand-all');
  if (expand) expand.addEventListener('click', () => setOpen(true));
  const collapse = $('collapse-all');
  if (collapse) collapse.addEventListener('click', () => setOpen(false));

  for (const button of document.querySelectorAll('button.goto[data-target]')) {
    button.addEventListener('click', () => {
      const node = $(button.getAttribute('data-target'));
      if (!node) return;
      select('tab-plan');
      for (let el = node; el; el = el.parentElement) if (el.tagName === 'DETAILS') el.open = true;
      node.scrollIntoView({ block: 'center' });
      node.classList.add('flash');
      setTimeout(() => node.classList.remove('flash'), 1500);
    });
  }

  const copy = $('copy-text');
  if (copy && vscode) copy.addEventListener('click', () => vscode.postMessage({ type: 'copyText' }));
})();
