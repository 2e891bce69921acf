import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import {
  EXPORT_FORMATS,
  exportHierarchies,
  ExportError,
  sftPairs,
  suggestedFileName,
  type ExportFormat,
} from '../../src/core/export/index.ts';
import { LatexWriter, newTexNames } from '../../src/core/export/latex.ts';
import { DEFINED_MACROS } from '../../src/core/export/tex.ts';
import { unicodeReplacement } from '../../src/core/export/texUnicode.ts';
import { ExportFileError, writeExportFile } from '../../src/core/exportFile.ts';
import { createHierarchy, type Hierarchy } from '../../src/core/hierarchy.ts';
import { editLayer } from '../../src/core/layers.ts';
import { importHierarchies } from '../../src/core/import.ts';
import { deepInsightMessages } from '../../src/core/prompts.ts';
import { fixtureRecords, hierarchyArbitrary, provedHierarchy, realisticHierarchy } from './exportSamples.ts';

describe('md export', () => {
  test('shows the problem, the techniques with their kind, the numbered sketch, the proof and the review', () => {
    const markdown = exportHierarchies([provedHierarchy()], 'md');
    assert.match(markdown, /^## Problem\n\n\*\*Problem\.\*\* For every integer \$n \\ge 1\$/);
    assert.match(markdown, /### Core techniques\n\n_Model: `deepinsight-7b`\._\n\n1\. \*\*Induction on \$n\$\*\* \(other\): The sum/);
    // A multi-line detail stays inside its list item.
    assert.match(markdown, /2\. \*\*Telescoping\*\* \(transformation\): Write .*\n {3}\$\$\\sum/);
    assert.match(markdown, /### Proof sketch\n\n_Model: `deepinsight-7b`; edited by hand\._\n\n1\. Check \$n = 1\$/);
    assert.match(markdown, /### Proof\n\n.*\n\nWe argue by induction/);
    assert.match(markdown, /### Review\n\n\*\*Score 0\.93\*\* — validity 1\.00 · completeness 0\.90 · correctness 0\.90 · clarity 0\.80 \(judge: `judge-1`\)/);
    // The proof already ends with \boxed{proved}: no second verdict line.
    assert.doesNotMatch(markdown, /\*\*Verdict:\*\*/);
  });

  test('adds the verdict when the proof text does not show it, and marks stale or failed layers', () => {
    const hierarchy = provedHierarchy();
    hierarchy.layers.proof = { ...hierarchy.layers.proof, text: 'A short proof.', status: 'stale' };
    hierarchy.layers.sketch = { ...hierarchy.layers.sketch, status: 'failed', error: 'The server closed the connection.' };
    const markdown = exportHierarchies([hierarchy], 'md');
    assert.match(markdown, /A short proof\.\n\n\*\*Verdict:\*\* proved\./);
    assert.match(markdown, /_Stale: written for an earlier version of the layers above\. Model/);
    assert.match(markdown, /_Incomplete: the generation failed \(The server closed the connection\)\./);
  });

  test('layers that did not parse into items are shown as their raw text; empty layers are left out', () => {
    const hierarchy = createHierarchy({ problem: '**Lemma 2.** Every tree with $n$ vertices has $n-1$ edges.' });
    hierarchy.layers.techniques = { status: 'draft', items: [], raw: 'Some free text the parser could not split.', edited: false, warnings: ['no list'] };
    const markdown = exportHierarchies([hierarchy], 'md');
    assert.match(markdown, /\*\*Lemma 2\.\*\* Every tree/);
    assert.doesNotMatch(markdown, /\*\*Problem\.\*\*/);
    assert.match(markdown, /### Core techniques\n\nSome free text the parser could not split\./);
    assert.doesNotMatch(markdown, /### Proof sketch|### Proof\n|### Review/);
  });

  test('several hierarchies are separated by rules and titled by their problem names', () => {
    const records = fixtureRecords().slice(0, 2);
    const markdown = exportHierarchies(records.map(realisticHierarchy), 'md');
    assert.equal(markdown.split('\n---\n').length, 2);
    assert.match(markdown, /^## 2006_algebra_p1\n/m);
  });
});

describe('json and jsonl export', () => {
  test('one hierarchy is one pretty object; several are an array', () => {
    const one = exportHierarchies([provedHierarchy()], 'json');
    assert.match(one, /^\{\n {2}"schema": "insight-proof\.hierarchy\/v1",/);
    assert.deepEqual(JSON.parse(one), provedHierarchy());
    const several = JSON.parse(exportHierarchies([provedHierarchy(), provedHierarchy('p', 'ip-2')], 'json')) as unknown[];
    assert.equal(several.length, 2);
  });

  test('jsonl lines are hierarchies with a provenance summary: models, edited layers, timestamps', () => {
    const lines = exportHierarchies([provedHierarchy(), provedHierarchy('q', 'ip-2')], 'jsonl').trimEnd().split('\n');
    assert.equal(lines.length, 2);
    const first = JSON.parse(lines[0]!) as Hierarchy & { provenance: Record<string, unknown> };
    assert.deepEqual(first.provenance, {
      models: { techniques: 'deepinsight-7b', sketch: 'deepinsight-7b', proof: 'deepinsight-7b-proof', review: 'judge-1' },
      edited: ['sketch'],
      statuses: { techniques: 'accepted', sketch: 'accepted', proof: 'accepted' },
      layerUpdatedAt: { techniques: '2026-03-04T05:06:07.000Z', sketch: '2026-03-04T05:06:07.000Z', proof: '2026-03-04T05:06:07.000Z' },
      reviewedAt: '2026-03-04T05:06:07.000Z',
      createdAt: '2026-03-04T05:06:07.000Z',
      updatedAt: '2026-03-04T05:06:07.000Z',
    });
    assert.equal(first.layers.sketch.edited, true);
  });

  test('round trip: export json or jsonl, import, same hierarchies (property)', () => {
    fc.assert(
      fc.property(fc.uniqueArray(hierarchyArbitrary, { minLength: 1, maxLength: 4, selector: (hierarchy) => hierarchy.id }), fc.constantFrom<ExportFormat>('json', 'jsonl'), (hierarchies, format) => {
        assert.deepEqual(importHierarchies(exportHierarchies(hierarchies, format), `export.${format}`), hierarchies);
      }),
      { numRuns: 200 },
    );
  });
});

describe('sft export', () => {
  test('one line per stage: the deepinsight prompt of the stage, then the layer as the answer', () => {
    const hierarchy = provedHierarchy();
    const lines = exportHierarchies([hierarchy], 'sft').trimEnd().split('\n').map((line) => JSON.parse(line) as { messages: { role: string; content: string }[]; metadata: Record<string, unknown> });
    assert.equal(lines.length, 3);
    for (const [index, stage] of (['techniques', 'sketch', 'proof'] as const).entries()) {
      const { messages, metadata } = lines[index]!;
      assert.deepEqual(messages.slice(0, -1), deepInsightMessages(stage, hierarchy));
      assert.equal(messages.at(-1)!.role, 'assistant');
      assert.equal(metadata.stage, stage);
      assert.equal(metadata.hierarchy_id, hierarchy.id);
    }
    assert.equal(lines[0]!.messages.at(-1)!.content.split('\n')[0], '1. Induction on $n$: The sum for $n+1$ adds $2n+1$ to the sum for $n$.');
    assert.match(lines[2]!.messages.at(-1)!.content, /\\boxed\{proved\}\$\.$/);
    assert.equal(lines[1]!.metadata.edited, true);
  });

  test("a person's edit is the training answer, and the later prompts are conditioned on it", () => {
    const edited = editLayer(provedHierarchy(), 'techniques', '1. **Sum of odd numbers** (theorem): pair $k$ with $2n-k$.\n', new Date('2026-03-05T00:00:00Z'));
    // The edit made the layers below stale; a person who checked them accepts them again.
    edited.layers.sketch.status = 'accepted';
    edited.layers.proof.status = 'accepted';
    const pairs = sftPairs(edited);
    assert.equal(pairs[0]!.messages.at(-1)!.content, '1. Sum of odd numbers: pair $k$ with $2n-k$.');
    assert.equal(pairs[0]!.metadata?.edited, true);
    assert.match(pairs[1]!.messages.find((message) => message.role === 'user')!.content, /Sum of odd numbers: pair \$k\$ with \$2n-k\$/);
  });

  test('stages without usable content end the pairs; the proof answer gets its verdict box', () => {
    const hierarchy = provedHierarchy();
    hierarchy.layers.proof = { ...hierarchy.layers.proof, text: 'Induction as usual.', verdict: 'disproved' };
    assert.match(sftPairs(hierarchy)[2]!.messages.at(-1)!.content, /^Induction as usual\.\n\n\\boxed\{disproved\}$/);
    hierarchy.layers.sketch.status = 'stale';
    assert.deepEqual(sftPairs(hierarchy).map((pair) => pair.metadata?.stage), ['techniques']);
    assert.equal(exportHierarchies([createHierarchy({ problem: 'p' })], 'sft'), '');
  });

  test('metadata can be left out for trainers that accept only "messages"', () => {
    const line = JSON.parse(exportHierarchies([provedHierarchy()], 'sft', { sftMetadata: false }).split('\n')[0]!) as object;
    assert.deepEqual(Object.keys(line), ['messages']);
  });
});

describe('export errors and file names', () => {
  test('nothing to export is one clear sentence', () => {
    assert.throws(() => exportHierarchies([], 'md'), (error: unknown) => error instanceof ExportError && /^There are no proof hierarchies to export; /.test(error.message));
  });

  test('names come from the problem name, else the statement, else the id; several get a collective name', () => {
    const [record] = fixtureRecords();
    assert.equal(suggestedFileName(realisticHierarchy(record!, 0), 'tex'), '2006-algebra-p1.tex');
    assert.equal(suggestedFileName(provedHierarchy(), 'md'), 'for-every-integer.md');
    assert.equal(suggestedFileName(createHierarchy({ problem: '$$x$$', id: 'ip-abc' }), 'json'), 'ip-abc.json');
    assert.equal(suggestedFileName([provedHierarchy(), provedHierarchy()], 'sft'), 'proof-hierarchies-2.sft.jsonl');
    assert.equal(suggestedFileName(createHierarchy({ problem: 'Théorème: ../../etc/passwd', id: 'x' }), 'jsonl'), 'theoreme-etc-passwd.jsonl');
    assert.equal(suggestedFileName(createHierarchy({ problem: 'CON', id: 'x' }), 'md'), 'con-proof.md');
  });

  test('file names never contain separators, traversal, control or odd characters, and are never empty (property)', () => {
    const input = fc.oneof(fc.string({ unit: 'binary', maxLength: 300 }), fc.constantFrom('..', '../..', '/', '\\', 'a/../b', '\u0000', 'nul', '…', ' '));
    fc.assert(
      fc.property(input, input, fc.constantFrom(...EXPORT_FORMATS), (problem, name, format) => {
        const hierarchy = createHierarchy({ problem, id: name || 'x', input: { problem_name: name } });
        const fileName = suggestedFileName(hierarchy, format);
        assert.match(fileName, /^[a-z0-9][a-z0-9-]{0,59}\.(md|json|jsonl|sft\.jsonl|tex)$/);
        assert.ok(!fileName.includes('..'));
      }),
      { numRuns: 500 },
    );
  });

  test('writing refuses to replace an existing file unless forced', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'insight-proof-export-'));
    try {
      const path = join(dir, 'proofs.md');
      await writeExportFile(path, 'first\n');
      await assert.rejects(writeExportFile(path, 'second\n'), (error: unknown) => {
        assert.ok(error instanceof ExportFileError);
        assert.equal(error.message, `${path} already exists; choose another file name, or replace it on purpose (--force on the command line).`);
        return true;
      });
      assert.equal(readFileSync(path, 'utf8'), 'first\n');
      await writeExportFile(path, 'second\n', { force: true });
      assert.equal(readFileSync(path, 'utf8'), 'second\n');
      await assert.rejects(writeExportFile(join(dir, 'missing', 'x.md'), 'x'), /^ExportFileError: The folder for .* does not exist; create it first or choose another path\.$/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

// ---------------------------------------------------------------------------------------------
// LaTeX: the documents must compile with pdflatex. The tests run it for real.

interface Compiled {
  ok: boolean;
  log: string;
  output: string;
}

function pdflatexAvailable(): boolean {
  return spawnSync('pdflatex', ['--version'], { encoding: 'utf8' }).status === 0;
}

function compile(tex: string): Compiled {
  if (!pdflatexAvailable()) {
    assert.fail('pdflatex is not installed; install the Debian package texlive-latex-base (apt-get install texlive-latex-base) to run the LaTeX export tests.');
  }
  const dir = mkdtempSync(join(tmpdir(), 'insight-proof-tex-'));
  try {
    writeFileSync(join(dir, 'export.tex'), tex);
    const run = spawnSync('pdflatex', ['-interaction=nonstopmode', '-halt-on-error', '-no-shell-escape', 'export.tex'], { cwd: dir, encoding: 'utf8', timeout: 60_000 });
    let log = '';
    try {
      log = readFileSync(join(dir, 'export.log'), 'latin1');
    } catch {
      log = '';
    }
    return { ok: run.status === 0, log, output: `${run.stdout}${run.stderr}` };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The first error of a pdflatex log, with the lines after it (what a person needs to see). */
function firstError(log: string): string {
  const index = log.indexOf('\n!');
  return index < 0 ? log.slice(-1500) : log.slice(index, index + 800);
}

function assertCompiles(tex: string, what: string): Compiled {
  const result = compile(tex);
  assert.ok(result.ok, `${what} does not compile with pdflatex:\n${firstError(result.log)}`);
  // Bitmap fonts (generated through METAFONT) mean a textcomp symbol slipped in: slow, and it fails where the font cache is not writable.
  assert.doesNotMatch(`${result.log}\n${result.output}`, /mktexpk|\.\d+pk\b/, `${what} needs bitmap fonts`);
  return result;
}

describe('tex export', () => {
  test('hierarchies built from the real FIMO, HMMT and Putnam statements compile with pdflatex', () => {
    const hierarchies = fixtureRecords().map(realisticHierarchy);
    const tex = exportHierarchies(hierarchies, 'tex');
    assert.match(tex, /\\documentclass\[11pt\]\{article\}/);
    assert.match(tex, /\\usepackage\{amsmath,amssymb,amsthm\}/);
    const result = assertCompiles(tex, 'The export of the DeepTheorem sample');
    assert.match(result.log, /Output written on export\.pdf \((\d+) pages?/);
  });

  test('the structure: theorem, techniques as an itemize, sketch as an enumerate, proof environment, review', () => {
    const tex = exportHierarchies([provedHierarchy()], 'tex');
    assert.match(tex, /\\begin\{theorem\}\{\}\nFor every integer \$n \\ge 1\$, \$1 \+ 3 \+ \\cdots \+ \(2n-1\) = n\^2\$\.\n\\end\{theorem\}/);
    assert.match(tex, /\\begin\{coretechniques\}\{\}\n\\begin\{itemize\}\n\\item\{\} \\textbf\{Induction on \$n\$\} \(\\emph\{other\}\): The sum/);
    assert.match(tex, /\\begin\{proofsketch\}\{\}\n\\begin\{enumerate\}\n\\item\{\} Check \$n = 1\$/);
    assert.match(tex, /\\item\{\} Assume the identity for \$n\$ and add \$2n\+1\$ — \\textbf\{the next odd number\}/);
    assert.match(tex, /\\begin\{proof\}\{\}\nWe argue by induction on \$n\$\.\n\n\\emph\{Base case\.\}/);
    assert.match(tex, /\\\[\n\\sum_\{k=1\}\^\{n\+1\} \(2k-1\) = n\^2 \+ \(2n\+1\) = \(n\+1\)\^2\.\n\\\]/);
    assert.match(tex, /\\begin\{proofreview\}\{\}\n\\textbf\{Score 0\.93\}: validity 1\.00, completeness 0\.90, correctness 0\.90, clarity 0\.80 \(judge: \\texttt\{judge-1\}\)\./);
    assertCompiles(tex, 'The proved hierarchy');
  });

  test('math passes through untouched; special characters in text are escaped', () => {
    const writer = new LatexWriter();
    assert.equal(writer.block('Let $a_{i}^{2} \\geq \\frac{1}{2}$ and \\(x\\%\\) hold.'), 'Let $a_{i}^{2} \\geq \\frac{1}{2}$ and $x\\%$ hold.');
    assert.equal(writer.block('50% of #1 & co_op ~ a^b {x} \\ <tag>'), '50\\% of \\#1 \\& co\\_op \\textasciitilde{} a\\textasciicircum{}b \\{x\\} \\textbackslash{} \\textless{}tag\\textgreater{}');
    assert.equal(writer.block('It costs $5 and $6.'), 'It costs \\ensuremath{\\$}5 and \\ensuremath{\\$}6.');
    assert.equal(writer.block('**bold**, *it*, `a_b{}`'), '\\textbf{bold}, \\emph{it}, \\texttt{a\\_b\\{\\}}');
    assert.equal(writer.block('- one\n- two'), '\\begin{itemize}\n\\item{} one\n\\item{} two\n\\end{itemize}');
    assert.equal(writer.block('3. three\n4. four'), '\\begin{enumerate}\n\\setcounter{enumi}{2}\n\\item{} three\n\\item{} four\n\\end{enumerate}');
    assert.equal(writer.block('A \\emph{lame king} and \\textit{stacked $n$}.'), 'A \\emph{lame king} and \\textit{stacked $n$}.');
    assert.equal(writer.block('Since a \\leq b, \\frac{a}{2} \\le \\RR.'), 'Since a \\ensuremath{\\leq} b, \\ensuremath{\\frac{a}{2}} \\ensuremath{\\le} \\ensuremath{\\RR}.');
  });

  test('TeX that would stop pdflatex is printed as text instead', () => {
    const writer = new LatexWriter(newTexNames());
    assert.equal(writer.block('Bad $\\frac{1}{2$ math.'), 'Bad \\ensuremath{\\$}\\textbackslash{}frac\\{1\\}\\{2\\ensuremath{\\$} math.');
    assert.equal(writer.block('\\input{/etc/passwd} and \\def\\x{y}'), '\\textbackslash{}input\\{/etc/passwd\\} and \\textbackslash{}def\\ensuremath{\\x{y}}');
    assert.equal(writer.block('Stray \\end{proof} here.'), 'Stray \\textbackslash{}end\\{proof\\} here.');
    assert.equal(writer.block('$\\left( x$'), '\\ensuremath{\\$}\\textbackslash{}left( x\\ensuremath{\\$}');
    assert.equal(writer.block('$$a &= b \\\\ c &= d$$'), '\\[\\begin{aligned}a &= b \\\\ c &= d\\end{aligned}\\]');
  });

  test('every character in the unicode table, accented letters and unknown symbols compile', () => {
    const characters = 'ℝ ℕ ≥ ≤ ≠ → ⇒ ⇔ ∈ ∉ ⊆ ∪ ∩ ∅ ∞ ∑ ∏ ∫ √ ∂ ∇ ∀ ∃ ¬ ∧ ∨ × ÷ ± · ∘ ° ′ ⌊ ⌋ ⌈ ⌉ ⟨ ⟩ … ² ³ ₁ ½ α β γ δ ε θ λ μ π σ φ ω Γ Δ Σ Ω Α ϵ ϕ • – — “ ” ‘ ’ « » é è ê ë ñ ç ü ö ß æ ø å ł ı Ł Ő ř ž 😀 中 ð ₿ \u00a0 \u2009 \u200b';
    const hierarchy = createHierarchy({ problem: `Text: ${characters}\n\nMath: $${characters.replaceAll(' ', ' + ')}$` });
    hierarchy.layers.proof = { status: 'draft', text: `In a list:\n\n- ${characters}\n\n\`code ${characters}\``, verdict: null, raw: '', edited: false };
    assertCompiles(exportHierarchies([hierarchy], 'tex'), 'The unicode sample');
    assert.equal(unicodeReplacement('≥'), '\\ensuremath{\\geq}');
    assert.equal(unicodeReplacement('é'), "\\TextOrMath{\\'{e}}{\\text{\\'{e}}}");
    assert.equal(unicodeReplacement('😀'), '\\texttt{[U+1F600]}');
  });

  test('the macros assumed to be defined are defined by the document\'s packages', () => {
    const checks = [...DEFINED_MACROS].map((name) => `\\@ifundefined{${name}}{\\errmessage{undefined: ${name}}}{}`).join('\n');
    const tex = ['\\documentclass{article}', '\\usepackage{amsmath,amssymb,amsthm}', '\\makeatletter', checks, '\\makeatother', '\\begin{document}x\\end{document}'].join('\n');
    assertCompiles(tex, 'The list of defined macros');
  });

  test('deeply nested lists, environments from the source and every markdown block compile', () => {
    const nested = ['- a', '  - b', '    - c', '      - d', '        - e', '          - f', '            1. g', '               > h', '               > ```', '               > code', '               > ```'].join('\n');
    const text = [
      '# Heading with $x$', nested, '', '\\begin{itemize}\\item[(i)] first \\begin{enumerate}\\item inner\\end{enumerate}\\end{itemize}',
      '\\begin{center}\\begin{tabular}{|c|c|}\\hline $a$ & 50\\% \\\\ \\hline\\end{tabular}\\end{center}', '\\begin{lemma}A lemma.\\end{lemma}',
      '\\begin{tikzpicture}\\draw (0,0) -- (1,1);\\end{tikzpicture}', '\\begin{align*} x &= 1 \\\\ y &= 2 \\end{align*}', '$$\\begin{gather} a \\end{gather}$$',
      '---', '<div>html & more</div>', '<!-- a comment -->', '| a | b |\n|---|:-:|\n| $$x$$ | \\begin{itemize}\\item x\\end{itemize} |', '![alt text](image.png) and [a link](https://example.org/a_b?c=1&d=2#e)',
      '```\n\\end{verbatim} inside code\n```', 'Line with hard break  \nnext \\item stray \\hline \\section{Title} \\label{x} \\url{http://x}',
    ].join('\n\n');
    const hierarchy = createHierarchy({ problem: text });
    hierarchy.layers.techniques = { status: 'draft', items: [{ name: text.slice(0, 200), kind: 'other', detail: text }], raw: '', edited: false };
    hierarchy.layers.sketch = { status: 'draft', steps: [{ text }], raw: '', edited: false };
    hierarchy.layers.proof = { status: 'draft', text, verdict: null, raw: '', edited: false };
    assertCompiles(exportHierarchies([hierarchy], 'tex'), 'The nested sample');
  });

  test('arbitrary mixtures of markdown, TeX and special characters compile (property, one document)', () => {
    const token = fc.constantFrom(
      'x', 'word ', ' ', '\n', '\n\n', '**', '*', '_', '`', '$', '$$', '$x^2$', '$\\frac{a}{b}$', '$$\\sum_{i=1}^n i$$', '\\(a_1\\)', '\\[b^2\\]', '#', '# ', '%', '&', '~', '^',
      '\\', '{', '}', '<', '>', '|', '"', '- ', '1. ', '> ', '≥', 'é', 'ℝ', '😀', '\\emph{', '\\textbf{x}', '\\leq', '\\begin{itemize}', '\\item', '\\end{itemize}', '\\begin{align}',
      '\\end{align}', '\\\\', '\\left(', '\\right)', '[', ']', '<!-- c -->', '<b>', '\t', '    ', '\n| a | b |\n|---|---|\n| 1 | 2 |\n', '\\section{S}', '\\input{x}', '\\def', '\\RR',
      '\\foo{bar}', '\\verb|x|', '\u00a0', '\u0000', '```\n', '\\end{document}', '\\begin{proof}', '\\end{proof}', '\\cr', '\\newcommand', '\\par', '@', '\\@', '\\$', '\\%', '\\{',
    );
    const fuzz = fc.array(token, { maxLength: 60 }).map((tokens) => tokens.join(''));
    const samples = fc.sample(fc.tuple(fuzz, fuzz, fuzz, fuzz), { numRuns: 120, seed: 20260304 });
    const hierarchies = samples.map(([problem, name, step, proof], index) => {
      const hierarchy = createHierarchy({ problem, id: `ip-fuzz${index}` });
      hierarchy.layers.techniques = { status: 'draft', items: [{ name, kind: 'other', detail: step }], raw: '', edited: false };
      hierarchy.layers.sketch = { status: 'draft', steps: [{ text: step }, { text: name }], raw: '', edited: false };
      hierarchy.layers.proof = { status: 'draft', text: proof, verdict: null, raw: '', edited: false };
      return hierarchy;
    });
    const whole = compile(exportHierarchies(hierarchies, 'tex'));
    if (!whole.ok) {
      // Find the sample that breaks the document, so the failure shows its source text.
      const culprit = hierarchies.find((hierarchy) => !compile(exportHierarchies([hierarchy], 'tex')).ok);
      assert.fail(`A generated hierarchy does not compile:\n${JSON.stringify(culprit ? { problem: culprit.problem, layers: culprit.layers } : null, null, 2)}\n${firstError(whole.log)}`);
    }
  });
});
