// Inputs shared by the benchmarks: DeepTheorem statements (test/fixtures, MIT) and answers in the
// shapes a fine-tuned insight model writes.
import { readFileSync } from 'node:fs';
import { createHierarchy, type Hierarchy } from '../src/core/hierarchy.ts';
import { editLayer } from '../src/core/layers.ts';

export interface ProblemRecord {
  problem_name: string;
  prompt: string;
  answer: boolean;
}

export function deepTheoremRecords(): ProblemRecord[] {
  return readFileSync(new URL('../test/fixtures/deeptheorem-sample.jsonl', import.meta.url), 'utf8')
    .split('\n')
    .filter((line) => line.trim())
    .map((line) => JSON.parse(line) as ProblemRecord);
}

export const TECHNIQUES_ANSWER = [
  '1. Factorisation: Write $n^5 - n = (n-1)n(n+1)(n^2+1)$, a product that contains three consecutive integers.',
  "2. Fermat's little theorem: For the prime $5$, $n^5 \\equiv n \\pmod 5$ for every integer $n$.",
  '3. Chinese remainder theorem: Divisibility by the pairwise coprime $2$, $3$ and $5$ gives divisibility by $30$.',
].join('\n');

export const SKETCH_ANSWER = [
  '1. Factor $n^5 - n = (n-1)n(n+1)(n^2+1)$.',
  '2. Among three consecutive integers one is even and one is a multiple of $3$, so $6 \\mid n^5 - n$.',
  "3. By Fermat's little theorem $5 \\mid n^5 - n$.",
  '4. Since $\\gcd(6, 5) = 1$, conclude $30 \\mid n^5 - n$.',
].join('\n');

const PROOF_PARAGRAPH =
  "Write $n^5 - n = (n-1)n(n+1)(n^2+1)$. Among the three consecutive integers $n-1$, $n$, $n+1$ one is even and one is divisible by $3$, so $6 \\mid n^5 - n$. By Fermat's little theorem, $n^5 \\equiv n \\pmod 5$, hence $5 \\mid n^5 - n$. ";

/** A proof answer of about `chars` characters (paragraphs of real proof text), ending with the verdict. */
export function proofAnswer(chars: number): string {
  const ending = '\n\nSince $2$, $3$ and $5$ are pairwise coprime, $30 \\mid n^5 - n$ for every integer $n$.\n\n\\boxed{proved}';
  const body: string[] = [];
  let length = 0;
  for (let paragraph = 1; length < chars - ending.length; paragraph += 1) {
    const text = `**Step ${paragraph}.** ${PROOF_PARAGRAPH}${PROOF_PARAGRAPH}`;
    body.push(text);
    length += text.length + 2;
  }
  return `${body.join('\n\n')}${ending}`.slice(-chars);
}

export const PROBLEM = 'Let $n$ be a positive integer. Prove or disprove that $n^5 - n$ is divisible by $30$ for every $n$.';

/** A hierarchy whose techniques and sketch a person wrote: what a proof-only run starts from. */
export function hierarchyReadyForProof(): Hierarchy {
  return editLayer(editLayer(createHierarchy({ problem: PROBLEM }), 'techniques', TECHNIQUES_ANSWER), 'sketch', SKETCH_ANSWER);
}
