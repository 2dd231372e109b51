export declare const EXAMPLE_PLUGIN: string
export declare function installExamplePlugin(dataDir: string): void
export declare function soonTimes(count: number, afterSeconds: number): string[]
export declare function businessDaysYaml(times: readonly string[]): string
