/** The tag of every message of this package: `[store-sqlite] …`. */
export const STORE_TAG = 'store-sqlite'
