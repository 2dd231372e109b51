/**
 * `/api/v1/docs`: an API reference page for the OpenAPI document, with Swagger UI served from
 * the `swagger-ui-dist` package in node_modules (never from a CDN, so it works offline and
 * behind a firewall). Swagger UI because it is one dependency-free package whose prebuilt
 * bundle works on a plain page, and it has "Try it out" with the bearer token; Redoc and Scalar
 * need Node.js 22 and bring a framework each.
 */
import { readFile } from 'node:fs/promises'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import type { Hono } from 'hono'

/** The files of swagger-ui-dist the page loads, and their types. */
const ASSETS: Record<string, string> = {
  'swagger-ui-bundle.js': 'text/javascript; charset=utf-8',
  'swagger-ui.css': 'text/css; charset=utf-8',
  'favicon-32x32.png': 'image/png',
}

// The page and its start script are ours: no inline script, so a strict CSP can forbid them.
const PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Tasse API reference</title>
<link rel="icon" type="image/png" href="docs/favicon-32x32.png">
<link rel="stylesheet" href="docs/swagger-ui.css">
</head>
<body>
<div id="swagger-ui"></div>
<script src="docs/swagger-ui-bundle.js"></script>
<script src="docs/start.js"></script>
</body>
</html>
`

// The document is found next to the page, so the page also works behind a path prefix.
const START = `window.ui = SwaggerUIBundle({
  url: new URL('openapi.json', document.baseURI).href,
  dom_id: '#swagger-ui',
  deepLinking: true,
  persistAuthorization: true,
})
`

/**
 * The paths the page needs without a token (a browser sends none when it loads a page), each
 * exact. The document and the page describe the API, the same for every host: no task, run or
 * setting of this one shows in them.
 */
export const DOCS_PATHS = [
  '/api/v1/openapi.json',
  '/api/v1/docs',
  '/api/v1/docs/start.js',
  ...Object.keys(ASSETS).map((file) => `/api/v1/docs/${file}`),
] as const

/** Adds `/docs` and `/docs/<asset>` to `app` (mounted at `/api/v1`). */
export function docsRoutes(app: Hono): void {
  const dir = dirname(createRequire(import.meta.url).resolve('swagger-ui-dist/package.json'))
  app.get('/docs', (c) => c.html(PAGE))
  app.get('/docs/start.js', (c) =>
    c.body(START, 200, { 'content-type': 'text/javascript; charset=utf-8' }),
  )
  app.get('/docs/:file', async (c) => {
    const file = c.req.param('file')
    const type = Object.hasOwn(ASSETS, file) ? ASSETS[file] : undefined
    if (!type) return c.notFound()
    // Read on request, not at start: a host that nobody browses keeps 2 MB less in memory.
    const body = await readFile(join(dir, file))
    return c.body(body, 200, { 'content-type': type, 'cache-control': 'public, max-age=86400' })
  })
}
