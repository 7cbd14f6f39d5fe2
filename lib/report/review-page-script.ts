/**
 * What runs in the review page: keys, the filter, the counter and the export. It reads the
 * choices from the page's controls and builds the decisions file (format
 * `lead-maintenance-decisions`, version 1) as a download; it sends nothing anywhere and stores
 * nothing. Plain browser JavaScript in a string: the project compiles without the DOM's types,
 * and the page's Content-Security-Policy allows this one script by its hash.
 */
export const REVIEW_SCRIPT = String.raw`(() => {
'use strict';
const cards = Array.from(document.querySelectorAll('article.card'));
const filterBox = document.getElementById('filter');
const showSelect = document.getElementById('show');
const counter = document.getElementById('counter');
const status = document.getElementById('status');
const help = document.getElementById('keys');
let current = null;
let changedSinceExport = false;
let decidedCount = 0;

const actionOf = (card) => card.querySelector('input[data-role=action]:checked');
const isDecided = (card) => actionOf(card) !== null;

function setState(card) {
  const decided = isDecided(card);
  decidedCount += Number(decided) - Number(card.classList.contains('decided'));
  card.classList.toggle('decided', decided);
  const action = actionOf(card);
  let text = 'undecided';
  if (action) {
    if (card.dataset.kind === 'conflict') text = action.value === 'value' ? 'decided: typed value' : 'decided: ' + (action.value === 'local' ? 'local' : 'Airtable');
    else text = action.value === 'not' ? 'decided: not duplicates' : 'decided: keep record ' + (Number(action.value) + 1);
  }
  card.querySelector('.state').textContent = text;
  card.classList.toggle('not-duplicates', !!action && action.value === 'not');
}

function count() {
  counter.textContent = decidedCount + ' of ' + cards.length + ' decided, ' + (cards.length - decidedCount) + ' undecided';
}

// A browser brings back the choices of a page it reloads or returns to: count them.
function rescan() {
  for (const card of cards) if (isDecided(card) || card.classList.contains('decided')) setState(card);
  count();
}

function visible(card) {
  return !card.hidden;
}

function makeCurrent(card, scroll) {
  if (!card) return;
  if (current) current.classList.remove('current');
  current = card;
  card.classList.add('current');
  if (scroll) {
    card.focus({ preventScroll: true });
    card.scrollIntoView({ block: 'start' });
    // Cards drawn only when near the screen take their real height as they come into view, which moves this one: align it again.
    requestAnimationFrame(() => card.scrollIntoView({ block: 'start' }));
  }
}

function move(step) {
  const shown = cards.filter(visible);
  if (!shown.length) return;
  const at = current ? shown.indexOf(current) : -1;
  const next = at < 0 ? (step > 0 ? shown[0] : shown[shown.length - 1]) : shown[Math.min(shown.length - 1, Math.max(0, at + step))];
  makeCurrent(next, true);
}

function nextUndecided() {
  const at = current ? cards.indexOf(current) : -1;
  const order = cards.slice(at + 1).concat(cards.slice(0, at + 1));
  const next = order.find((c) => visible(c) && !isDecided(c));
  if (next) makeCurrent(next, true);
  else status.textContent = 'No undecided card' + (cards.some((c) => !visible(c) && !isDecided(c)) ? ' among those shown.' : '.');
}

// A survivor's choice picks, in each field not picked by hand, its own value, or else the first value a record has.
function fillFields(card) {
  const action = actionOf(card);
  if (!action || action.value === 'not') return;
  for (const row of card.querySelectorAll('tr.differs')) {
    if (row.dataset.touched) continue;
    const cells = Array.from(row.querySelectorAll('td'));
    const own = cells[Number(action.value)];
    const cell = own && !own.hasAttribute('data-empty') ? own : cells.find((c) => !c.hasAttribute('data-empty')) || own;
    if (cell) cell.querySelector('input[type=radio]').checked = true;
  }
}

function changed(card) {
  setState(card);
  count();
  changedSinceExport = true;
}

function choose(card, value) {
  const input = card.querySelector('input[data-role=action][value="' + value + '"]');
  if (!input) return;
  input.checked = true;
  fillFields(card);
  changed(card);
}

function clear(card) {
  for (const input of card.querySelectorAll('input[type=radio]')) input.checked = false;
  for (const row of card.querySelectorAll('tr.differs')) delete row.dataset.touched;
  changed(card);
}

// In a field's row (reached with Tab), the keys act on that field; elsewhere on the card.
function rowOf(target) {
  return target.closest ? target.closest('tr.differs') : null;
}

function typeValue(card, row) {
  const box = (row || card).querySelector('input.typed');
  if (box) box.focus();
}

function pickValue(card, row, index) {
  const input = row.querySelectorAll('td input[type=radio]')[index];
  if (!input) return false;
  if (!isDecided(card)) {
    status.textContent = 'Keep a record first (1-9 on the card), then pick the values of its fields.';
    return true;
  }
  input.checked = true;
  row.dataset.touched = '1';
  changed(card);
  return true;
}

function typed(box, numeric) {
  const text = box.value;
  if (numeric && text.trim() !== '' && Number.isFinite(Number(text))) return Number(text);
  return text;
}

function decisionOf(card) {
  const action = actionOf(card);
  if (!action) return null;
  const seen = JSON.parse(card.dataset.seen || '{}');
  if (card.dataset.kind === 'conflict') {
    const decision = { type: 'conflict', local: card.dataset.local, airtable: card.dataset.airtable, field: card.dataset.field, seen, choice: action.value };
    if (action.value === 'value') decision.value = typed(card.querySelector('input.typed'), card.hasAttribute('data-numeric'));
    return decision;
  }
  const records = JSON.parse(card.dataset.records);
  if (action.value === 'not') return { type: 'duplicates', records, seen, action: 'not_duplicates' };
  // No prototype: a field named __proto__ is a field like any other.
  const values = Object.create(null);
  for (const row of card.querySelectorAll('tr.differs')) {
    const pick = row.querySelector('input[type=radio]:checked');
    if (!pick) continue;
    values[row.dataset.field] = pick.value === 'typed' ? { value: typed(row.querySelector('input.typed'), row.hasAttribute('data-numeric')) } : { from: records[Number(pick.value)] };
  }
  return { type: 'duplicates', records, seen, action: 'merge', survivor: records[Number(action.value)], values };
}

function exportDecisions() {
  const decisions = cards.map(decisionOf).filter((d) => d !== null);
  const file = { format: 'lead-maintenance-decisions', version: 1, decisions };
  const blob = new Blob([JSON.stringify(file, null, 2) + '\n'], { type: 'application/json' });
  const link = document.createElement('a');
  link.href = URL.createObjectURL(blob);
  link.download = document.body.dataset.file;
  document.body.appendChild(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(link.href), 10000);
  changedSinceExport = false;
  const left = cards.length - decisions.length;
  status.textContent = 'Exported ' + decisions.length + ' decision(s) to ' + link.download + (left ? '; ' + left + ' undecided card(s) left out.' : '.');
}

function applyFilter() {
  const words = filterBox.value.toLowerCase().split(/\s+/).filter(Boolean);
  const show = showSelect.value;
  for (const card of cards) {
    if (card.searchText === undefined) card.searchText = card.textContent.toLowerCase();
    const decided = isDecided(card);
    const wanted = show === 'all' || (show === 'undecided' && !decided) || (show === 'decided' && decided) || show === card.dataset.kind;
    card.hidden = !(wanted && words.every((w) => card.searchText.includes(w)));
  }
  const shown = cards.filter(visible).length;
  status.textContent = shown === cards.length ? '' : shown + ' of ' + cards.length + ' card(s) shown.';
}

document.addEventListener('change', (event) => {
  const input = event.target;
  const card = input.closest && input.closest('article.card');
  if (!card) return;
  if (input.dataset.role === 'action') fillFields(card);
  else if (input.type === 'radio') input.closest('tr').dataset.touched = '1';
  changed(card);
});

document.addEventListener('input', (event) => {
  const box = event.target;
  if (!box.classList || !box.classList.contains('typed')) return;
  const card = box.closest('article.card');
  if (card.dataset.kind === 'conflict') choose(card, 'value');
  else {
    const row = box.closest('tr');
    row.querySelector('input[value=typed]').checked = true;
    row.dataset.touched = '1';
    changed(card);
  }
});

document.addEventListener('focusin', (event) => {
  const card = event.target.closest && event.target.closest('article.card');
  if (card && card !== current) makeCurrent(card, false);
});

document.addEventListener('keydown', (event) => {
  if (event.ctrlKey || event.metaKey || event.altKey) return;
  const target = event.target;
  if (target.matches && target.matches('input[type=text], input[type=search], select')) {
    if (event.key === 'Escape' || (event.key === 'Enter' && target !== filterBox)) {
      event.preventDefault();
      target.blur();
      if (current) current.focus({ preventScroll: true });
    } else if (event.key === 'Enter' && target === filterBox) {
      event.preventDefault();
      target.blur();
      move(1);
    }
    return;
  }
  const key = event.key;
  const card = current;
  let handled = true;
  if (key === 'j') move(1);
  else if (key === 'k') move(-1);
  else if (key === 'n') nextUndecided();
  else if (key === '/') filterBox.focus();
  else if (key === '?') help.open = !help.open;
  else if (key === 'e') exportDecisions();
  else if (!card) handled = false;
  else if (key === 'u') clear(card);
  else if (key === 't') typeValue(card, rowOf(target));
  else if (key === 'x' && card.dataset.kind === 'duplicates') choose(card, 'not');
  else if (/^[1-9]$/.test(key)) {
    if (rowOf(target)) handled = pickValue(card, rowOf(target), Number(key) - 1);
    else if (card.dataset.kind === 'conflict') {
      if (key === '1') choose(card, 'local');
      else if (key === '2') choose(card, 'airtable');
      else handled = false;
    } else choose(card, String(Number(key) - 1));
  } else handled = false;
  if (handled) event.preventDefault();
});

filterBox.addEventListener('input', applyFilter);
showSelect.addEventListener('change', applyFilter);
document.getElementById('export').addEventListener('click', exportDecisions);
document.getElementById('next').addEventListener('click', nextUndecided);
window.addEventListener('beforeunload', (event) => {
  if (changedSinceExport) event.preventDefault();
});
window.addEventListener('pageshow', rescan);
rescan();
})();
`;
