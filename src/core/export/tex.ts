// The `tex` export: a LaTeX document (article + amsthm) that compiles with pdflatex. Per hierarchy
// a section with the problem as a theorem, the core techniques as a remark-style block with an
// itemize, the sketch as an enumerate, the proof in a proof environment, and the review.
//
// The preamble is built from what the body uses: \DeclareUnicodeCharacter for every non-ASCII
// character (texUnicode.ts), known meanings for common custom macros (\RR, \abs, …) and a harmless
// fallback for any other macro or environment the loaded packages may not define, so statements
// copied from papers and datasets compile as they are.
import type { Hierarchy, Review, TechniquesLayer, SketchLayer, ProofLayer, AnyLayer } from '../hierarchy.ts';
import { hierarchyTitle, layerStatusNote, proofShowsVerdict, withoutLeadingLabel } from './common.ts';
import { escapeText, LatexWriter, TOP_CONTEXT, type TexContext, type TexNames } from './latex.ts';
import { normalizeForTex, unicodeDeclarations } from './texUnicode.ts';

/** Custom macros common in problem sets, with their usual meaning; used only when undefined. */
const KNOWN_MACROS: Readonly<Record<string, string>> = {
  RR: '\\providecommand{\\RR}{{\\mathbb{R}}}',
  NN: '\\providecommand{\\NN}{{\\mathbb{N}}}',
  ZZ: '\\providecommand{\\ZZ}{{\\mathbb{Z}}}',
  QQ: '\\providecommand{\\QQ}{{\\mathbb{Q}}}',
  CC: '\\providecommand{\\CC}{{\\mathbb{C}}}',
  FF: '\\providecommand{\\FF}{{\\mathbb{F}}}',
  R: '\\providecommand{\\R}{{\\mathbb{R}}}',
  N: '\\providecommand{\\N}{{\\mathbb{N}}}',
  Z: '\\providecommand{\\Z}{{\\mathbb{Z}}}',
  Q: '\\providecommand{\\Q}{{\\mathbb{Q}}}',
  C: '\\providecommand{\\C}{{\\mathbb{C}}}',
  E: '\\providecommand{\\E}{{\\mathbb{E}}}',
  eps: '\\providecommand{\\eps}{{\\varepsilon}}',
  abs: '\\providecommand{\\abs}[1]{\\lvert #1\\rvert}',
  norm: '\\providecommand{\\norm}[1]{\\lVert #1\\rVert}',
  floor: '\\providecommand{\\floor}[1]{\\lfloor #1\\rfloor}',
  ceil: '\\providecommand{\\ceil}[1]{\\lceil #1\\rceil}',
  set: '\\providecommand{\\set}[1]{\\{#1\\}}',
  dd: '\\providecommand{\\dd}{{\\mathrm{d}}}',
  nperp: '\\providecommand{\\nperp}{\\mathrel{\\not\\perp}}',
  multirow: '\\providecommand{\\multirow}[3]{#3}',
  mathscr: '\\providecommand{\\mathscr}{\\mathcal}',
  bm: '\\providecommand{\\bm}{\\boldsymbol}',
  degree: '\\providecommand{\\degree}{{}^{\\circ}}',
  tg: '\\providecommand{\\tg}{\\tan}',
  ctg: '\\providecommand{\\ctg}{\\cot}',
  lcm: '\\providecommand{\\lcm}{\\operatorname{lcm}}',
  sgn: '\\providecommand{\\sgn}{\\operatorname{sgn}}',
  rank: '\\providecommand{\\rank}{\\operatorname{rank}}',
  tr: '\\providecommand{\\tr}{\\operatorname{tr}}',
  id: '\\providecommand{\\id}{\\operatorname{id}}',
  Var: '\\providecommand{\\Var}{\\operatorname{Var}}',
  implies: '\\providecommand{\\implies}{\\Longrightarrow}',
  iff: '\\providecommand{\\iff}{\\Longleftrightarrow}',
};

/** Theorem-like environments a statement may use; defined (sharing the theorem counter) when missing. */
const THEOREM_LIKE: Readonly<Record<string, string>> = {
  lemma: 'Lemma', proposition: 'Proposition', corollary: 'Corollary', claim: 'Claim', definition: 'Definition',
  conjecture: 'Conjecture', example: 'Example', exercise: 'Exercise', problem: 'Problem', question: 'Question',
  solution: 'Solution', observation: 'Observation', fact: 'Fact', note: 'Note', hypothesis: 'Hypothesis',
};

/** Names the document itself emits or defines: no fallback needed. */
const OWN_NAMES = new Set(['theorem', 'remark', 'coretechniques', 'proofsketch', 'proofreview', 'proof']);

/**
 * Common commands of LaTeX, amsmath and amssymb: they need no fallback line, which keeps the
 * preamble readable. (A fallback for a defined name would do nothing; the unit tests check with
 * pdflatex that each of these is defined.)
 */
export const DEFINED_MACROS: ReadonlySet<string> = new Set(
  ('alpha beta gamma delta epsilon varepsilon zeta eta theta vartheta iota kappa lambda mu nu xi pi varpi rho varrho sigma varsigma tau '
    + 'upsilon phi varphi chi psi omega Gamma Delta Theta Lambda Xi Pi Sigma Upsilon Phi Psi Omega '
    + 'frac dfrac tfrac binom dbinom tbinom sqrt left right middle big Big bigg Bigg bigl bigr Bigl Bigr biggl biggr '
    + 'cdot cdots ldots dots dotsc dotsb vdots ddots times div pm mp leq geq le ge neq ne leqslant geqslant approx equiv cong sim simeq '
    + 'propto ll gg prec succ preceq succeq subset subseteq supset supseteq subsetneq supsetneq in notin ni cup cap bigcup bigcap setminus '
    + 'emptyset varnothing forall exists nexists neg lnot land lor wedge vee bigwedge bigvee oplus otimes bigoplus bigotimes odot '
    + 'to rightarrow leftarrow leftrightarrow Rightarrow Leftarrow Leftrightarrow longrightarrow longleftarrow Longrightarrow '
    + 'Longleftarrow Longleftrightarrow iff implies impliedby mapsto longmapsto uparrow downarrow hookrightarrow '
    + 'infty partial nabla sum prod coprod int iint iiint oint lim limsup liminf sup inf max min log ln lg exp sin cos tan cot sec csc '
    + 'arcsin arccos arctan sinh cosh tanh coth det dim ker gcd deg arg Pr hom mod bmod pmod pod '
    + 'mathbb mathcal mathbf mathrm mathit mathsf mathtt mathfrak boldsymbol operatorname text mbox textbf textit textrm texttt emph '
    + 'overline underline widehat widetilde hat tilde bar vec dot ddot acute grave check breve overrightarrow overleftarrow '
    + 'overbrace underbrace lfloor rfloor lceil rceil langle rangle vert Vert lvert rvert lVert rVert mid nmid parallel perp angle '
    + 'measuredangle triangle circ bullet star ast dagger ddagger prime ell hbar aleph Re Im wp colon not boxed substack stackrel '
    + 'overset underset displaystyle textstyle scriptstyle scriptscriptstyle limits nolimits square blacksquare Box qed qedhere tag '
    + 'notag nonumber hline cline multicolumn quad qquad enspace thinspace backslash setminus smallsetminus cdotp ldotp '
    + 'triangleq triangleleft triangleright lhd rhd unlhd unrhd sqcup sqcap uplus wr diamond Diamond top bot vdash dashv models '
    + 'because therefore blacktriangle lesssim gtrsim leqq geqq nleq ngeq nless ngtr asymp doteq sharp flat natural clubsuit '
    + 'heartsuit spadesuit diamondsuit ulcorner urcorner llcorner lrcorner lbrace rbrace lbrack rbrack phantom hphantom vphantom '
    + 'mathstrut strut hspace vspace kern mkern mspace hfill ensuremath textsuperscript textsubscript underbrace overbrace '
    + 'xrightarrow xleftarrow cfrac genfrac sideset intertext iota jmath imath')
    .split(' '),
);

function preamble(names: TexNames, body: string): string {
  const lines = [
    '% Exported by Insight Proof. Compile with: pdflatex FILE.tex',
    '\\documentclass[11pt]{article}',
    '\\usepackage[utf8]{inputenc}',
    '\\usepackage{amsmath,amssymb,amsthm}',
    // The default bullets come from the textcomp fonts, which pdflatex would first have to build
    // as bitmaps through METAFONT; these look the same and need only the standard fonts.
    '\\renewcommand{\\labelitemi}{\\ensuremath{\\bullet}}',
    '\\renewcommand{\\labelitemiii}{\\ensuremath{\\ast}}',
    '\\renewcommand{\\labelitemiv}{\\ensuremath{\\cdot}}',
    '\\newtheorem{theorem}{Theorem}',
  ];
  const environments = [...names.environments].filter((name) => !OWN_NAMES.has(name)).sort();
  for (const name of environments) {
    const title = THEOREM_LIKE[name];
    if (title) lines.push(`\\makeatletter\\@ifundefined{${name}}{\\newtheorem{${name}}[theorem]{${title}}}{}\\makeatother`);
  }
  lines.push(
    '\\theoremstyle{remark}',
    '\\newtheorem*{coretechniques}{Core techniques}',
    '\\newtheorem*{proofsketch}{Proof sketch}',
    '\\newtheorem*{proofreview}{Review}',
  );
  const macros = [...names.macros].filter((name) => !OWN_NAMES.has(name) && !DEFINED_MACROS.has(name)).sort();
  const known = macros.filter((name) => name in KNOWN_MACROS);
  const other = macros.filter((name) => !(name in KNOWN_MACROS));
  const plainEnvironments = environments.filter((name) => !(name in THEOREM_LIKE));
  if (known.length || other.length || plainEnvironments.length) {
    lines.push('% Commands and environments the text uses that these packages may not define: a visible stand-in instead of an error.');
    lines.push(...known.map((name) => KNOWN_MACROS[name]!));
  }
  if (other.length || plainEnvironments.length) {
    lines.push(
      '\\makeatletter',
      // The braces make the stand-in one unit, so it also works as a sub- or superscript (x_\\foo).
      '\\newcommand{\\insightproof@macro}[1]{\\@ifundefined{#1}{\\expandafter\\def\\csname #1\\endcsname{{\\ensuremath{\\mathord{\\backslash\\mathrm{#1}}}}}}{}}',
      '\\newcommand{\\insightproof@environment}[1]{\\@ifundefined{#1}{\\newenvironment{#1}{\\par}{\\par}}{}}',
    );
    if (other.length) lines.push(`\\@for\\insightproof@name:=${other.join(',')}\\do{\\expandafter\\insightproof@macro\\expandafter{\\insightproof@name}}`);
    if (plainEnvironments.length) lines.push(`\\@for\\insightproof@name:=${plainEnvironments.join(',')}\\do{\\expandafter\\insightproof@environment\\expandafter{\\insightproof@name}}`);
    lines.push('\\makeatother');
  }
  lines.push(...unicodeDeclarations(body));
  return lines.join('\n');
}

const IN_BLOCK: TexContext = TOP_CONTEXT;
const IN_LIST = (kind: 'itemize' | 'enumerate'): TexContext => ({ ...TOP_CONTEXT, nesting: TOP_CONTEXT.nesting + 1, [kind]: 1 });

function statusNote(layer: AnyLayer): string {
  const note = layerStatusNote(layer);
  return note ? `\\emph{${escapeText(normalizeForTex(note))}}\n\n` : '';
}

function techniquesTex(layer: TechniquesLayer, writer: LatexWriter): string {
  if (layer.items.length === 0 && !layer.raw.trim()) return '';
  let body: string;
  if (layer.items.length > 0) {
    const items = layer.items.map((item) => {
      const detail = item.detail.trim() ? `: ${writer.block(item.detail, IN_LIST('itemize'))}` : '';
      return `\\item{} \\textbf{${writer.inline(item.name, IN_LIST('itemize'))}} (\\emph{${item.kind}})${detail}`;
    });
    body = `\\begin{itemize}\n${items.join('\n')}\n\\end{itemize}`;
  } else {
    body = writer.block(layer.raw, IN_BLOCK);
  }
  return `\\begin{coretechniques}{}\n${statusNote(layer)}${body}\n\\end{coretechniques}\n`;
}

function sketchTex(layer: SketchLayer, writer: LatexWriter): string {
  if (layer.steps.length === 0 && !layer.raw.trim()) return '';
  const body = layer.steps.length > 0
    ? `\\begin{enumerate}\n${layer.steps.map((step) => `\\item{} ${writer.block(step.text, IN_LIST('enumerate'))}`).join('\n')}\n\\end{enumerate}`
    : writer.block(layer.raw, IN_BLOCK);
  return `\\begin{proofsketch}{}\n${statusNote(layer)}${body}\n\\end{proofsketch}\n`;
}

function proofTex(layer: ProofLayer, writer: LatexWriter): string {
  const text = layer.text.trim() || layer.raw.trim();
  if (!text) return '';
  const verdict = layer.verdict && !proofShowsVerdict(text, layer.verdict) ? `\n\n\\noindent\\textbf{Verdict:} ${layer.verdict}.` : '';
  return `\\begin{proof}{}\n${statusNote(layer)}${writer.block(text, IN_BLOCK)}${verdict}\n\\end{proof}\n`;
}

function reviewTex(review: Review, writer: LatexWriter): string {
  const parts = (['validity', 'completeness', 'correctness', 'clarity'] as const).map((name) => `${name} ${review[name].toFixed(2)}`);
  const judge = review.model ? ` (judge: \\texttt{${escapeText(review.model)}})` : '';
  const explanation = review.explanation.trim() ? `\n\n${writer.block(review.explanation, IN_BLOCK)}` : '';
  return `\\begin{proofreview}{}\n\\textbf{Score ${review.score.toFixed(2)}}: ${parts.join(', ')}${judge}.${explanation}\n\\end{proofreview}\n`;
}

function hierarchyTex(hierarchy: Hierarchy, index: number, total: number, writer: LatexWriter): string {
  const { techniques, sketch, proof } = hierarchy.layers;
  const statement = withoutLeadingLabel(hierarchy.problem).trim();
  return [
    `\\section*{${escapeText(normalizeForTex(hierarchyTitle(hierarchy, index, total)))}}`,
    `% ${normalizeForTex(hierarchy.id).replace(/\s+/g, ' ')}`,
    `\\begin{theorem}{}\n${statement ? writer.block(statement, IN_BLOCK) : '\\emph{(No statement.)}'}\n\\end{theorem}\n`,
    techniquesTex(techniques, writer),
    sketchTex(sketch, writer),
    proofTex(proof, writer),
    hierarchy.review ? reviewTex(hierarchy.review, writer) : '',
  ].filter(Boolean).join('\n');
}

/** A complete LaTeX document for the hierarchies. */
export function hierarchiesToTex(hierarchies: readonly Hierarchy[]): string {
  const writer = new LatexWriter();
  const normalized = hierarchies.map((hierarchy) => normalizeHierarchyText(hierarchy));
  const body = normalized.map((hierarchy, index) => hierarchyTex(hierarchy, index, normalized.length, writer)).join('\n');
  return `${preamble(writer.names, body)}\n\n\\begin{document}\n\n${body}\n\\end{document}\n`;
}

/** The hierarchy with every text field normalised for pdflatex (see normalizeForTex). */
function normalizeHierarchyText(hierarchy: Hierarchy): Hierarchy {
  const { techniques, sketch, proof } = hierarchy.layers;
  return {
    ...hierarchy,
    problem: normalizeForTex(hierarchy.problem),
    layers: {
      techniques: { ...techniques, raw: normalizeForTex(techniques.raw), items: techniques.items.map((item) => ({ ...item, name: normalizeForTex(item.name), detail: normalizeForTex(item.detail) })) },
      sketch: { ...sketch, raw: normalizeForTex(sketch.raw), steps: sketch.steps.map((step) => ({ text: normalizeForTex(step.text) })) },
      proof: { ...proof, raw: normalizeForTex(proof.raw), text: normalizeForTex(proof.text), ...(proof.error ? { error: normalizeForTex(proof.error) } : {}) },
    },
    ...(hierarchy.review ? { review: { ...hierarchy.review, explanation: normalizeForTex(hierarchy.review.explanation), ...(hierarchy.review.model ? { model: normalizeForTex(hierarchy.review.model) } : {}) } } : {}),
  };
}
