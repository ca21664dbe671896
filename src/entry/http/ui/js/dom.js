// Building the page from data without innerHTML: every value is set as text or an attribute,
// so nothing a record or a destination said can become markup or script (and the page's
// Content-Security-Policy forbids inline script and style anyway).

const SVG_NS = 'http://www.w3.org/2000/svg';

/** An element with attributes (`class`, `for`, `aria-*`, …; `on*` functions become listeners). */
export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  return fill(node, attrs, children);
}

/** An SVG element (the chart), same conventions as {@link el}. */
export function svg(tag, attrs = {}, ...children) {
  return fill(document.createElementNS(SVG_NS, tag), attrs, children);
}

function fill(node, attrs, children) {
  for (const [name, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (name.startsWith('on') && typeof value === 'function') node.addEventListener(name.slice(2), value);
    else node.setAttribute(name, value === true ? '' : String(value));
  }
  append(node, children);
  return node;
}

function append(node, children) {
  for (const child of children.flat(Infinity)) {
    if (child === undefined || child === null || child === false) continue;
    node.append(typeof child === 'string' || typeof child === 'number' ? String(child) : child);
  }
}

/** Replaces a node's children. */
export function replace(node, ...children) {
  node.replaceChildren();
  append(node, children);
}

/** Says `text` to screen-reader users without moving focus (the polite live region). */
export function announce(text) {
  const region = document.getElementById('announce');
  if (!region) return;
  region.textContent = '';
  setTimeout(() => (region.textContent = text), 50);
}

/** A data table: its caption (none: omitted), column headers, and body rows built by the caller. */
export function table(caption, headers, rows) {
  return el(
    'table',
    { class: 'items' },
    caption ? el('caption', {}, caption) : null,
    el(
      'thead',
      {},
      el(
        'tr',
        {},
        headers.map((h) => el('th', { scope: 'col' }, h)),
      ),
    ),
    el('tbody', {}, rows),
  );
}
