// The getting-started page's try-it: mint a local token (local stacks only), then call the API.
// Served as a file (script-src 'self'): the page has no inline script.
const form = document.getElementById('try-it')

function selectedScopes() {
  return [...form.querySelectorAll('input[name="scope"]:checked')].map((box) => box.value).join(' ')
}

function show(text, ok) {
  const out = document.getElementById('try-result')
  out.textContent = text
  out.className = ok ? 'status-ok' : 'status-error'
}

async function mint() {
  const body = new URLSearchParams({
    grant_type: 'client_credentials',
    client_id: form.elements.organisation.value,
    scope: selectedScopes(),
  })
  const response = await fetch(form.dataset.tokenUrl, { method: 'POST', body })
  const answer = await response.json()
  if (!response.ok) return show(`Token refused: ${answer.error} ${answer.error_description ?? ''}`, false)
  form.elements.token.value = answer.access_token
  document.getElementById('token-scopes').textContent =
    `Token for ${form.elements.organisation.value}: ${answer.scope}`
  return undefined
}

async function call() {
  const path = form.elements.path.value
  const token = form.elements.token.value.trim()
  const response = await fetch(`${form.dataset.baseUrl}${path}`, {
    headers: { Accept: 'application/fhir+json', ...(token ? { Authorization: `Bearer ${token}` } : {}) },
  })
  const text = await response.text()
  let pretty = text
  try {
    pretty = JSON.stringify(JSON.parse(text), null, 2)
  } catch {
    // not JSON: show as it came
  }
  show(
    `HTTP ${response.status} ${response.statusText}\nX-Request-ID: ${response.headers.get('x-request-id')}\n\n${pretty}`,
    response.ok,
  )
}

if (form) {
  document.getElementById('mint')?.addEventListener('click', () => {
    mint().catch((error) => show(String(error), false))
  })
  document.getElementById('call').addEventListener('click', () => {
    call().catch((error) => show(String(error), false))
  })
}
