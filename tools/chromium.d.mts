export declare const CHROMIUM: string | undefined;
export declare const CHROMIUM_FLAGS: string[];
export declare const CHROMIUM_ADAPTERS: Record<'swiftshader' | 'angle-llvmpipe', string[]>;
export declare function chromiumPath(): string;
export declare function bundleForBrowser(entry: string): Promise<string>;
