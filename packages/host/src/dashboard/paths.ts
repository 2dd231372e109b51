/** The dashboard's paths, known without loading the dashboard (the app checks them first). */
const OWNED = /^\/(?:$|(?:tasks|runs|host|live|assets|sign-in|sign-out)(?:\/|$))/

/** Whether a path is the dashboard's (the API's bearer check leaves those to it). */
export function dashboardOwns(path: string): boolean {
  return OWNED.test(path)
}
