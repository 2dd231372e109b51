/**
 * The host's default limits of every run: `--limits` over `TASSE_LIMITS` over the `limits:` of
 * `<data>/tasse.yaml`, in task.yaml's words (`memory=512M,cpu=0.5,pids=256` on a command line).
 * A task's own `limits:` wins, key by key.
 */
import { NO_LIMITS, type RunLimits, readLimits, TasseError } from '@tasse/core'
import { readHostFile } from './host-file.js'

/**
 * @example
 * const limits = readHostLimits('data', 'memory=512M,cpu=0.5', process.env)
 */
export function readHostLimits(
  dataDir: string,
  flag: unknown,
  env: NodeJS.ProcessEnv = process.env,
): RunLimits {
  if (typeof flag === 'string') return limitsFromText(flag, '--limits')
  const fromEnv = env.TASSE_LIMITS
  if (fromEnv !== undefined && fromEnv.trim() !== '') return limitsFromText(fromEnv, 'TASSE_LIMITS')
  const { file, config } = readHostFile(dataDir)
  return config.limits === undefined
    ? { ...NO_LIMITS }
    : readLimits(config.limits, { file, field: 'limits' })
}

/** `memory=512M,cpu=0.5,pids=256` (any of them). */
function limitsFromText(text: string, source: string): RunLimits {
  const limits: Record<string, unknown> = {}
  for (const part of text
    .split(',')
    .map((p) => p.trim())
    .filter(Boolean)) {
    const [key, value, extra] = part.split('=').map((p) => p.trim())
    if (!key || value === undefined || value === '' || extra !== undefined)
      throw new TasseError(
        'config',
        `${source} must be key=value pairs separated by commas (e.g. "memory=512M,cpu=0.5,pids=256"), got ${JSON.stringify(part)}`,
      )
    limits[key] = key === 'memory' || Number.isNaN(Number(value)) ? value : Number(value)
  }
  return readLimits(limits, { file: source, field: '' })
}
