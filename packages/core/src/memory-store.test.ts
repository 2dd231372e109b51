import { MemoryRunStore } from './memory-store.js'
import { testRunStore } from './testing/index.js'

testRunStore({
  name: 'memory',
  hosts: 'many',
  create: ({ maxOutputBytes }) => new MemoryRunStore({ maxOutputBytes }),
})
