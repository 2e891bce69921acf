import type { BuildOptions, Plugin } from 'esbuild';

export function shippedBundles(options?: { production?: boolean; outdir?: string; plugins?: Plugin[] }): BuildOptions[];
export function commonOptions(options?: { production?: boolean; plugins?: Plugin[] }): BuildOptions;
