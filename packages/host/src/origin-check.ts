/**
 * Loopback is not a trust boundary for browsers. Any web page the operator visits can send
 * requests to `http://127.0.0.1:5000`, and with DNS rebinding (a name of the attacker's that
 * resolves to 127.0.0.1 after the page has loaded) it can read the answers too. Two checks
 * close that, before authentication:
 *
 * - **Origin.** A request that changes something (any method but GET, HEAD and OPTIONS, and
 *   the GETs that act, such as `/trigger/<name>`) coming from a web page is refused unless the
 *   page is this host's own (same host and port) or on an allowed host. Browsers say where a
 *   request comes from in `Origin`, or at least in `Sec-Fetch-Site` (an `<img>` pointing at
 *   `/trigger/x` sends no Origin). curl, scripts and other services send neither and pass.
 * - **Host.** When the API needs no token, every request must name this host by a loopback
 *   name or address (`localhost`, `127.0.0.1`, `[::1]`, …) or an allowed host: a rebound
 *   name (`Host: evil.example:5000`) is refused. With a token, a rebound page has no token to
 *   send, and the host may be reached under names it cannot know, so Host is not checked.
 */
import type { Context, MiddlewareHandler } from 'hono'
import { ApiError } from './http-errors.js'
import { isLoopback } from './tokens.js'

export interface OriginCheckOptions {
  /**
   * Host names (or addresses) accepted besides loopback ones, as `Host` and as the host of a
   * page's `Origin`: `tasse.example.com`, or `*.example.com` for every subdomain.
   * @default []
   */
  allowedHosts?: readonly string[]
  /** Check `Host` on every request (for an API that needs no token). @default false */
  checkHost?: boolean
  /** Paths never checked (the probes, which carry no browser headers anyway). @default [] */
  open?: readonly string[]
  /**
   * Whether a request changes something, beyond its method: GET routes that act.
   * @default () => false
   */
  actingGet?: (path: string) => boolean
}

/**
 * @example
 * app.use('*', originCheck({ checkHost: !tokens, allowedHosts: ['tasse.lan'] }))
 */
export function originCheck(options: OriginCheckOptions): MiddlewareHandler {
  const allowed = hostMatcher(options.allowedHosts ?? [])
  const open = new Set(options.open ?? [])
  const actingGet = options.actingGet ?? (() => false)
  return async function originCheck(c, next) {
    if (open.has(c.req.path)) return next()
    const host = c.req.header('host')
    const hostname = host === undefined ? undefined : hostnameOf(host)
    if (
      options.checkHost &&
      host !== undefined &&
      !(hostname && (isLoopback(hostname) || allowed(hostname)))
    )
      throw new ApiError(
        403,
        'forbidden_host',
        `this host does not answer to the name ${JSON.stringify(host)}: without a token it serves only loopback names (localhost, 127.0.0.1, [::1]) and those in --allowed-hosts / TASSE_ALLOWED_HOSTS, so that a web page cannot reach it through a name of its own (DNS rebinding)`,
      )
    if (changesState(c, actingGet)) {
      const refusal = crossSiteRefusal(c, host, allowed)
      if (refusal) throw new ApiError(403, 'cross_site', refusal)
    }
    return next()
  }
}

/** Why a request from a web page may not act here, or `null` when it may. */
function crossSiteRefusal(
  c: Context,
  host: string | undefined,
  allowed: (hostname: string) => boolean,
): string | null {
  const origin = c.req.header('origin')
  const fix =
    'requests that change something are accepted from this host’s own pages, from hosts in --allowed-hosts / TASSE_ALLOWED_HOSTS, and from clients that are not browsers (curl, scripts)'
  if (origin !== undefined) {
    let url: URL | null = null
    try {
      url = new URL(origin)
    } catch {}
    const sameOrigin =
      url !== null && host !== undefined && url.host.toLowerCase() === host.toLowerCase()
    if (url && (sameOrigin || allowed(url.hostname.replace(/^\[(.*)\]$/, '$1').toLowerCase())))
      return null
    return `a web page at ${JSON.stringify(origin)} may not ${c.req.method} ${c.req.path} on this host: ${fix}`
  }
  // No Origin: a browser still says where the request comes from (an <img> or a link to
  // /trigger/x from another site). `none` is the user typing the address.
  const site = c.req.header('sec-fetch-site')?.toLowerCase()
  if (site === 'cross-site' || site === 'same-site')
    return `a request from another site (Sec-Fetch-Site: ${site}) may not ${c.req.method} ${c.req.path} on this host: ${fix}`
  return null
}

function changesState(c: Context, actingGet: (path: string) => boolean): boolean {
  const method = c.req.method
  if (method === 'GET' || method === 'HEAD') return actingGet(c.req.path)
  return method !== 'OPTIONS'
}

/** The host name of a `Host` header (`name:port`, `[v6]:port`), lower case; `null` if malformed. */
export function hostnameOf(host: string): string | null {
  const match =
    /^\[([0-9a-f:.]+)\](?::\d{1,5})?$/i.exec(host) ?? /^([^:[\]\s]+)(?::\d{1,5})?$/.exec(host)
  return match ? (match[1] as string).toLowerCase().replace(/\.$/, '') : null
}

/**
 * Whether a host name is one of `patterns`: exact names or addresses, or `*.domain` for any
 * name below that domain.
 */
export function hostMatcher(patterns: readonly string[]): (hostname: string) => boolean {
  const exact = new Set<string>()
  const suffixes: string[] = []
  for (const pattern of patterns) {
    const lower = pattern.toLowerCase()
    if (lower.startsWith('*.')) suffixes.push(lower.slice(1))
    else exact.add(lower.replace(/^\[(.*)\]$/, '$1'))
  }
  return function hostMatcher(hostname) {
    return exact.has(hostname) || suffixes.some((suffix) => hostname.endsWith(suffix))
  }
}
