// The search page: plain DOM, no framework. Talks only to this origin's API.
const form = document.getElementById('search-form');
const queryInput = document.getElementById('q');
const authorSelect = document.getElementById('author');
const statusLine = document.getElementById('status');
const results = document.getElementById('results');
const button = form.querySelector('button');

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
      const option = document.createElement('option');
      option.value = name;
      option.textContent = `${name} (${count})`;
      authorSelect.append(option);
    }
  } catch (error) {
    setStatus(`Could not load authors: ${error.message}`, true);
  }
}

function render(items) {
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

async function search() {
  const q = queryInput.value.trim();
  if (!q) {
    setStatus('Type something to search for.');
    results.replaceChildren();
    return;
  }
  const params = new URLSearchParams({ q, limit: '10' });
  if (authorSelect.value) params.set('author', authorSelect.value);
  button.disabled = true;
  setStatus('Searching…');
  try {
    const items = await apiGet(`/quotes/search?${params}`);
    render(items);
    setStatus(items.length ? `${items.length} result${items.length === 1 ? '' : 's'}` : 'No quotes match. Try other words or another author.');
  } catch (error) {
    results.replaceChildren();
    setStatus(`Search failed: ${error.message}`, true);
  } finally {
    button.disabled = false;
  }
}

form.addEventListener('submit', (event) => {
  event.preventDefault();
  void search();
});
authorSelect.addEventListener('change', () => {
  if (queryInput.value.trim()) void search();
});
void loadAuthors();
