// The search page: plain DOM, no framework. Talks only to this origin's API.
const form = document.getElementById('search-form');
const queryInput = document.getElementById('q');
const authorSelect = document.getElementById('author');
const statusLine = document.getElementById('status');
const results = document.getElementById('results');
const button = form.querySelector('button');

// Below this best score nothing matches well: the nearest quotes are shown, but said to be far.
// Measured with the offline embedder on the shipped quotes: nonsense ("zzzzqqq", "qwerty")
// tops out at 0.29, one real word ("hope", "courage") scores 0.46 and more.
const CLOSE_MATCH_SCORE = 0.3;

function setStatus(text, isError = false) {
  statusLine.textContent = text;
  statusLine.classList.toggle('error', isError);
  statusLine.dataset.state = isError ? 'error' : text ? 'info' : '';
}

async function apiGet(path) {
  const response = await fetch(path, { headers: { accept: 'application/json' } });
  let body;
  try {
    body = await response.json();
  } catch {
    throw new Error(`the server answered ${response.status} without JSON`);
  }
  if (!response.ok) throw new Error(body && body.message ? body.message : `the server answered ${response.status}`);
  return body;
}

async function loadAuthors() {
  try {
    const authors = await apiGet('/authors');
    for (const { name, count } of authors) {
      // An author the address bar named was added before the list came: keep one option.
      for (const option of [...authorSelect.options]) if (option.value === name) option.remove();
      const option = document.createElement('option');
      option.value = name;
      option.textContent = `${name} (${count})`;
      authorSelect.append(option);
    }
  } catch (error) {
    setStatus(`Could not load authors: ${error.message}`, true);
  }
}

function render(items, weak) {
  results.classList.toggle('weak', weak);
  results.replaceChildren();
  for (const item of items) {
    const li = document.createElement('li');
    li.className = 'result';
    const quote = document.createElement('blockquote');
    quote.textContent = item.quote;
    const meta = document.createElement('div');
    meta.className = 'meta';
    const author = document.createElement('span');
    author.className = 'author';
    author.textContent = `— ${item.author}`;
    const score = document.createElement('span');
    score.className = 'score';
    score.textContent = `score ${Number(item.score).toFixed(3)}`;
    meta.append(author, score);
    li.append(quote, meta);
    results.append(li);
  }
}

/** The search the page shows, as the address bar holds it (?q=...&author=...): linkable, reloadable. */
function searchFromUrl() {
  const params = new URLSearchParams(window.location.search);
  return { q: (params.get('q') || '').trim(), author: params.get('author') || '' };
}

function urlFor(q, author) {
  const params = new URLSearchParams();
  if (q) params.set('q', q);
  if (author) params.set('author', author);
  const query = params.toString();
  return `${window.location.pathname}${query ? `?${query}` : ''}`;
}

/** Shows `author` in the list even before (or without) the author list naming it. */
function selectAuthor(author) {
  if (author && ![...authorSelect.options].some((option) => option.value === author)) {
    authorSelect.add(new Option(author, author));
  }
  authorSelect.value = author;
}

async function search({ record = true } = {}) {
  const q = queryInput.value.trim();
  const author = authorSelect.value;
  // Each new search is a history entry; the same one again (or one restored from history) is not.
  const url = urlFor(q, author);
  if (record && url !== `${window.location.pathname}${window.location.search}`) window.history.pushState(null, '', url);
  if (!q) {
    setStatus('Type something to search for.');
    results.replaceChildren();
    return;
  }
  const params = new URLSearchParams({ q, limit: '10' });
  if (author) params.set('author', author);
  button.disabled = true;
  setStatus('Searching…');
  try {
    const items = await apiGet(`/quotes/search?${params}`);
    const weak = items.length > 0 && Number(items[0].score) < CLOSE_MATCH_SCORE;
    render(items, weak);
    if (!items.length) setStatus('No quotes match. Try other words or another author.');
    else if (weak) setStatus(`No close matches for “${q}”. The nearest quotes, none of them a good match:`);
    else setStatus(`${items.length} result${items.length === 1 ? '' : 's'}`);
  } catch (error) {
    results.replaceChildren();
    setStatus(`Search failed: ${error.message}`, true);
  } finally {
    button.disabled = false;
  }
}

/** Fills the form from the address bar and runs that search (page load, back and forward). */
function restoreFromUrl() {
  const { q, author } = searchFromUrl();
  queryInput.value = q;
  selectAuthor(author);
  if (q) void search({ record: false });
  else {
    results.replaceChildren();
    setStatus('');
  }
}

form.addEventListener('submit', (event) => {
  event.preventDefault();
  void search();
});
authorSelect.addEventListener('change', () => {
  if (queryInput.value.trim()) void search();
});
window.addEventListener('popstate', restoreFromUrl);
restoreFromUrl();
void loadAuthors().then(() => selectAuthor(searchFromUrl().author));
