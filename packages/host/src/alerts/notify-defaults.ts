/**
 * Where the alerts of a task without `notify:` go: the `--notify-file` (`TASSE_NOTIFY_FILE`)
 * when one is given, else the `notify:` list of `<data>/tasse.yaml`, else nowhere. A flag or a
 * variable wins over the file, as for every setting of the host.
 */
import { displayPath, type NotifyTarget, readNotify, readNotifyFile } from '@tasse/core'
import type { HostConfig } from '../config.js'
import { readHostFile } from '../host-file.js'

/** Read at start: a mistake stops the host before anything runs, naming the file and key. */
export function notifyDefaults(config: HostConfig): NotifyTarget[] {
  if (config.notifyFile) return readNotifyFile(config.notifyFile, displayPath(config.notifyFile))
  const { file, config: values } = readHostFile(config.dataDir)
  return readNotify(values.notify, { file: displayPath(file), field: 'notify' }) ?? []
}
