export function runLockFile(runDir: string): string;
export function lockRunDir(runDir: string, options: { waitingFor: string; log?: (message: string) => void }): Promise<() => void>;
export function releaseRunDir(runDir: string): void;
