// The dashboard's script (an ES module, no build step). Everything here enhances pages that
// work without it: local and relative times, live updates from the page's one event stream,
// filtering the task list as you type, and parameter errors shown next to their field.

const main = document.getElementById('main')
const liveState = document.getElementById('live-state')

/** "in 4 min", "12 s ago": what a `data-rel` element says about its instant. */
function relative(iso, now) {
  const seconds = Math.round((Date.parse(iso) - now) / 1000)
  const abs = Math.abs(seconds)
  const span =
    abs < 60
      ? `${abs} s`
      : abs < 3600
        ? `${Math.round(abs / 60)} min`
        : abs < 172800
          ? `${Math.round(abs / 3600)} h`
          : `${Math.round(abs / 86400)} d`
  if (abs < 1) return 'now'
  return seconds > 0 ? `in ${span}` : `${span} ago`
}

const localFormat = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'medium' })

/**
 * Relative times are filled in once, then kept up to date only where the reader can see them:
 * a list of 1,000 tasks need not be rewritten every 15 s for the twenty rows on screen.
 */
const visible = new Set()
const watcher = new IntersectionObserver((entries) => {
  const now = Date.now()
  for (const entry of entries) {
    if (entry.isIntersecting) {
      visible.add(entry.target)
      showRelative(entry.target, now)
    } else visible.delete(entry.target)
  }
})

function showRelative(el, now) {
  const text = `(${relative(el.dataset.rel, now)})`
  if (el.textContent !== text) el.textContent = text
}

/** Shows UTC instants in the reader's zone, and watches new relative times. */
function prepare(root = document) {
  const now = Date.now()
  for (const el of root.querySelectorAll('[data-rel]:not([data-watched])')) {
    el.dataset.watched = ''
    showRelative(el, now)
    watcher.observe(el)
  }
  for (const el of root.querySelectorAll('time[data-local]')) {
    el.title = el.dateTime
    el.textContent = localFormat.format(new Date(el.dateTime))
    el.removeAttribute('data-local')
  }
}

function refreshVisible() {
  const now = Date.now()
  for (const el of visible) {
    if (el.isConnected) showRelative(el, now)
    else visible.delete(el)
  }
}

function connect(url) {
  const source = new EventSource(url)
  const on = (event, handle) =>
    source.addEventListener(event, (message) => {
      handle(message.data ? JSON.parse(message.data) : {})
    })
  const say = (text) => {
    if (liveState) liveState.textContent = text
  }
  source.onopen = () => say('Live: this page updates on its own.')
  source.onerror = () => {
    if (source.readyState !== EventSource.CLOSED) say('Reconnecting…')
  }
  const place = ({ id, html }) => {
    const el = document.getElementById(id)
    if (!el) return false
    el.outerHTML = html
    return true
  }
  on('swap', (data) => {
    place(data)
    prepare()
  })
  on('upsert', (data) => {
    if (!place(data)) {
      const parent = document.getElementById(data.into)
      parent?.insertAdjacentHTML(data.at === 'start' ? 'afterbegin' : 'beforeend', data.html)
      document.getElementById(`${data.into}-empty`)?.remove()
    }
    prepare()
    filterRows()
  })
  on('remove', ({ id }) => document.getElementById(id)?.remove())
  const output = document.getElementById('output')
  on('reset', () => {
    if (output) output.textContent = ''
  })
  on('output', ({ text }) => {
    if (!output) return
    const atEnd = output.scrollTop + output.clientHeight >= output.scrollHeight - 4
    output.append(text)
    if (atEnd) output.scrollTop = output.scrollHeight
  })
  on('end', () => {
    source.close()
    say('Finished: this page no longer changes.')
    if (output && output.textContent === '')
      output.insertAdjacentHTML('afterend', '<p class="muted">No output.</p>')
  })
}

/** The task list's search field hides the rows whose name does not match, as you type. */
function filterRows() {
  const input = document.querySelector('[data-filter-rows]')
  if (!input) return
  const body = document.getElementById(input.dataset.filterRows)
  const q = input.value.trim().toLowerCase()
  for (const row of body?.rows ?? []) row.hidden = q !== '' && !row.dataset.name?.includes(q)
}

/** What a field's browser check found, in the words the server uses. */
function problem(field) {
  const v = field.validity
  if (v.valueMissing) return `${field.name} is required`
  if (v.patternMismatch)
    return `${field.name} must match ${field.getAttribute('pattern')}, got "${field.value}"`
  return field.validationMessage
}

/** Parameter forms: the browser's checks, shown next to each field instead of a bubble. */
function checkFields(form) {
  form.noValidate = true
  const show = (field) => {
    const error = document.getElementById(`${field.id}-error`)
    const message = field.checkValidity() ? '' : problem(field)
    if (error) error.textContent = message
    if (message) field.setAttribute('aria-invalid', 'true')
    else field.removeAttribute('aria-invalid')
    return message === ''
  }
  form.addEventListener('submit', (event) => {
    const fields = [...form.elements].filter((el) => el.willValidate)
    const bad = fields.filter((field) => !show(field))
    if (bad.length) {
      event.preventDefault()
      bad[0].focus()
    }
  })
  form.addEventListener('input', (event) => {
    if (event.target.getAttribute('aria-invalid')) show(event.target)
  })
}

prepare()
setInterval(refreshVisible, 15_000)
for (const form of document.querySelectorAll('form[data-check-fields]')) checkFields(form)
document.querySelector('[data-filter-rows]')?.addEventListener('input', filterRows)
filterRows()
if (main?.dataset.live) connect(main.dataset.live)
