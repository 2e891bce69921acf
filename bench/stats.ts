// What every benchmark case reports, and the small statistics they share.

export interface Budget {
  /** The measured value must not exceed this (must stay below it when `exclusive`). */
  max: number;
  exclusive?: boolean;
  /** The budget as the issue states it, for the table. */
  text: string;
}

export interface CaseResult {
  id: string;
  title: string;
  value: number;
  unit: 'ms' | 'KB' | 'ratio';
  /** Absent for figures reported for context (the smaller size of a scale case, a single bundle). */
  budget?: Budget;
  /** Other figures a reader needs to judge the value (samples, sizes, the baseline). */
  details: Record<string, unknown>;
}

export function median(values: readonly number[]): number {
  if (values.length === 0) throw new Error('median of no values');
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

export function round(value: number, digits = 2): number {
  const factor = 10 ** digits;
  return Math.round(value * factor) / factor;
}

/** CPU time (user + system) of this process in milliseconds since `start` (a process.cpuUsage() reading). */
export function cpuMsSince(start: NodeJS.CpuUsage): number {
  const used = process.cpuUsage(start);
  return (used.user + used.system) / 1000;
}

/** Runs `body` and returns its wall time and this process's CPU time, in milliseconds. */
export async function measure<T>(body: () => Promise<T>): Promise<{ value: T; wallMs: number; cpuMs: number }> {
  const cpu = process.cpuUsage();
  const started = performance.now();
  const value = await body();
  return { value, wallMs: performance.now() - started, cpuMs: cpuMsSince(cpu) };
}

/** "×2.04 time for ×2.00 size": how a figure grew between the two sizes of a scale case. */
export function growth(small: { size: number; ms: number }, large: { size: number; ms: number }): { sizeFactor: number; timeFactor: number } {
  return { sizeFactor: round(large.size / small.size), timeFactor: round(large.ms / small.ms) };
}

/** True when a case has no budget or stays within it. */
export function withinBudget(result: CaseResult): boolean {
  if (!result.budget) return true;
  return result.budget.exclusive ? result.value < result.budget.max : result.value <= result.budget.max;
}
