/** The tag of every message of this package: `[tasse] [store-sqlite] …`. */
export const STORE_TAG = 'store-sqlite'
