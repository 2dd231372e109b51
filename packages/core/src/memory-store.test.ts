import { MemoryRunStore } from './memory-store.js'
import { testRunStore } from './testing/index.js'

testRunStore({ name: 'memory', create: () => new MemoryRunStore() })
