/** The plugins every host loads: the triggers and runners a `data/` folder can use. */
import type { TassePlugin } from '@tasse/core'
import { plugin as intervalTrigger } from '@tasse/trigger-interval'

export const BUILTIN_PLUGINS: readonly TassePlugin[] = [intervalTrigger]
