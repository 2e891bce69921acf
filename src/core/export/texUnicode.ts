// Unicode for pdflatex. Problem statements and model output contain characters pdflatex's default
// fonts cannot typeset (≥, ℝ, →, Greek letters, ð, emoji). Rather than rewriting the text (which
// would touch math), the document declares each non-ASCII character it contains with
// \DeclareUnicodeCharacter: mathematical symbols become the math macro (wrapped in \ensuremath, so
// the same character works in text and in math), accented Latin letters become accent commands,
// and anything else becomes a visible "[U+XXXX]" marker instead of a compile error.
//
// Only the default OT1 fonts and the AMS fonts are used: no textcomp (TS1) symbols, whose fonts
// pdflatex would have to generate as bitmaps through METAFONT on first use.

/** Math symbols: the macro each becomes (always typeset in math mode). */
const MATH_SYMBOLS: Readonly<Record<string, string>> = {
  // relations
  '≥': '\\geq', '≤': '\\leq', '⩾': '\\geqslant', '⩽': '\\leqslant', '≠': '\\neq', '≈': '\\approx',
  '≡': '\\equiv', '≅': '\\cong', '∼': '\\sim', '≃': '\\simeq', '∝': '\\propto', '≪': '\\ll',
  '≫': '\\gg', '≺': '\\prec', '≻': '\\succ', '⊥': '\\perp', '∥': '\\parallel', '∣': '\\mid',
  '∤': '\\nmid', '≔': '\\mathrel{:}=', '≍': '\\asymp', '≜': '\\triangleq',
  // sets and logic
  '∈': '\\in', '∉': '\\notin', '∋': '\\ni', '⊂': '\\subset', '⊆': '\\subseteq', '⊊': '\\subsetneq',
  '⊃': '\\supset', '⊇': '\\supseteq', '⊋': '\\supsetneq', '∪': '\\cup', '∩': '\\cap',
  '∅': '\\emptyset', '∖': '\\setminus', '∀': '\\forall', '∃': '\\exists', '∄': '\\nexists',
  '¬': '\\neg', '∧': '\\wedge', '∨': '\\vee', '⊕': '\\oplus', '⊗': '\\otimes', '⊙': '\\odot',
  '⊢': '\\vdash', '⊨': '\\models', '△': '\\triangle', '∠': '\\angle', '∡': '\\measuredangle',
  // arrows
  '→': '\\to', '←': '\\leftarrow', '↔': '\\leftrightarrow', '⇒': '\\Rightarrow', '⇐': '\\Leftarrow',
  '⇔': '\\Leftrightarrow', '↦': '\\mapsto', '↑': '\\uparrow', '↓': '\\downarrow', '⟶': '\\longrightarrow',
  '⟹': '\\Longrightarrow', '⟸': '\\Longleftarrow', '⟺': '\\Longleftrightarrow', '↪': '\\hookrightarrow',
  '↠': '\\twoheadrightarrow',
  // operators
  '×': '\\times', '÷': '\\div', '±': '\\pm', '∓': '\\mp', '·': '\\cdot', '⋅': '\\cdot', '∘': '\\circ',
  '∗': '\\ast', '∑': '\\sum', '∏': '\\prod', '∐': '\\coprod', '∫': '\\int', '∬': '\\iint', '∮': '\\oint',
  '√': '\\surd', '∂': '\\partial', '∇': '\\nabla', '∞': '\\infty', '′': '\\prime', '″': '\\prime\\prime',
  '°': '^\\circ', '⌊': '\\lfloor', '⌋': '\\rfloor', '⌈': '\\lceil', '⌉': '\\rceil', '⟨': '\\langle',
  '⟩': '\\rangle', '〈': '\\langle', '〉': '\\rangle', '‖': '\\|', '…': '\\ldots', '⋯': '\\cdots',
  '⋮': '\\vdots', '⋱': '\\ddots', '∎': '\\blacksquare', '□': '\\square', '■': '\\blacksquare',
  '★': '\\bigstar', '•': '\\bullet', '∙': '\\bullet', 'ℓ': '\\ell', 'ℏ': '\\hbar', '℘': '\\wp',
  'ℵ': '\\aleph', 'ℑ': '\\Im', 'ℜ': '\\Re', '†': '\\dagger', '‡': '\\ddagger',
  // blackboard bold and friends
  'ℝ': '\\mathbb{R}', 'ℕ': '\\mathbb{N}', 'ℤ': '\\mathbb{Z}', 'ℚ': '\\mathbb{Q}', 'ℂ': '\\mathbb{C}',
  'ℙ': '\\mathbb{P}', '𝔽': '\\mathbb{F}', '𝔼': '\\mathbb{E}',
  // superscripts, subscripts, fractions
  '⁰': '^{0}', '¹': '^{1}', '²': '^{2}', '³': '^{3}', '⁴': '^{4}', '⁵': '^{5}', '⁶': '^{6}', '⁷': '^{7}',
  '⁸': '^{8}', '⁹': '^{9}', '⁺': '^{+}', '⁻': '^{-}', 'ⁿ': '^{n}', 'ⁱ': '^{i}',
  '₀': '_{0}', '₁': '_{1}', '₂': '_{2}', '₃': '_{3}', '₄': '_{4}', '₅': '_{5}', '₆': '_{6}', '₇': '_{7}',
  '₈': '_{8}', '₉': '_{9}', '₊': '_{+}', '₋': '_{-}', 'ₙ': '_{n}', 'ᵢ': '_{i}', 'ⱼ': '_{j}', 'ₖ': '_{k}',
  '½': '\\tfrac{1}{2}', '⅓': '\\tfrac{1}{3}', '⅔': '\\tfrac{2}{3}', '¼': '\\tfrac{1}{4}', '¾': '\\tfrac{3}{4}',
  'µ': '\\mu', '−': '-', '∕': '/',
};

const GREEK_LOWER = 'alpha beta gamma delta varepsilon zeta eta theta iota kappa lambda mu nu xi omicron pi rho varsigma sigma tau upsilon varphi chi psi omega'.split(' ');
const GREEK_UPPER_MACROS: Readonly<Record<string, string>> = { Γ: '\\Gamma', Δ: '\\Delta', Θ: '\\Theta', Λ: '\\Lambda', Ξ: '\\Xi', Π: '\\Pi', Σ: '\\Sigma', Υ: '\\Upsilon', Φ: '\\Phi', Ψ: '\\Psi', Ω: '\\Omega' };
const GREEK_UPPER_LATIN: Readonly<Record<string, string>> = { Α: 'A', Β: 'B', Ε: 'E', Ζ: 'Z', Η: 'H', Ι: 'I', Κ: 'K', Μ: 'M', Ν: 'N', Ο: 'O', Ρ: 'P', Τ: 'T', Χ: 'X' };
const GREEK_VARIANTS: Readonly<Record<string, string>> = { ϑ: '\\vartheta', ϕ: '\\phi', ϵ: '\\epsilon', ϱ: '\\varrho', ϖ: '\\varpi' };

/** Text characters: what each becomes (typeset in text mode, or inside \text in math). */
const TEXT_SYMBOLS: Readonly<Record<string, string>> = {
  '\u00a0': '~', '\u2002': '\\enspace{}', '\u2003': '\\quad{}', '\u2009': '\\,', '\u202f': '\\,', '\u2007': '~',
  '\u2008': '\\,', '\u200a': '\\,', '\u2004': '\\,', '\u2005': '\\,', '\u2006': '\\,', '\u205f': '\\,',
  '\u200b': '{}', '\u200c': '{}', '\u200d': '{}', '\u2060': '{}', '\ufeff': '{}', '\u00ad': '\\-',
  '‘': '`', '’': "'", '‚': ',', '“': '``', '”': "''", '„': ',,', '«': '\\textless{}\\textless{}', '»': '\\textgreater{}\\textgreater{}', '‹': '\\textless{}', '›': '\\textgreater{}',
  '–': '--', '—': '---', '‐': '-', '‑': '-', '‒': '--', '―': '---',
  'ß': '\\ss{}', 'æ': '\\ae{}', 'Æ': '\\AE{}', 'œ': '\\oe{}', 'Œ': '\\OE{}', 'ø': '\\o{}', 'Ø': '\\O{}',
  'ł': '\\l{}', 'Ł': '\\L{}', 'ı': '\\i{}', 'ȷ': '\\j{}', 'å': '\\aa{}', 'Å': '\\AA{}', '¡': '!`', '¿': '?`',
};

/** Combining marks (from NFD) that OT1 can build as an accent on a base letter. */
const ACCENTS: Readonly<Record<string, string>> = {
  '\u0300': '\\`', '\u0301': "\\'", '\u0302': '\\^', '\u0303': '\\~', '\u0304': '\\=', '\u0306': '\\u',
  '\u0307': '\\.', '\u0308': '\\"', '\u030a': '\\r', '\u030b': '\\H', '\u030c': '\\v', '\u0323': '\\d',
  '\u0327': '\\c', '\u0331': '\\b',
};

/** The LaTeX for one non-ASCII character: mode-independent (works in text and in math). */
export function unicodeReplacement(char: string): string {
  const math = mathMacro(char);
  if (math !== undefined) return `\\ensuremath{${math}}`;
  const text = TEXT_SYMBOLS[char] ?? accented(char);
  if (text !== undefined) return `\\TextOrMath{${text}}{\\text{${text}}}`;
  return `\\texttt{[U+${codePointHex(char)}]}`;
}

function mathMacro(char: string): string | undefined {
  if (char in MATH_SYMBOLS) return MATH_SYMBOLS[char];
  if (char in GREEK_UPPER_MACROS) return GREEK_UPPER_MACROS[char];
  if (char in GREEK_UPPER_LATIN) return `\\mathrm{${GREEK_UPPER_LATIN[char]}}`;
  if (char in GREEK_VARIANTS) return GREEK_VARIANTS[char];
  const code = char.codePointAt(0)!;
  if (code >= 0x3b1 && code <= 0x3c9) {
    const name = GREEK_LOWER[code - 0x3b1]!;
    // \omicron does not exist: it looks like a Latin o.
    return name === 'omicron' ? 'o' : `\\${name}`;
  }
  return undefined;
}

/** é → \'{e}; only letters whose decomposition is one ASCII letter plus OT1-buildable accents. */
function accented(char: string): string | undefined {
  const [base, ...marks] = [...char.normalize('NFD')];
  if (base === undefined || marks.length === 0 || !/^[A-Za-z]$/.test(base)) return undefined;
  let result = base === 'i' ? '\\i' : base === 'j' ? '\\j' : base;
  for (const mark of marks) {
    const accent = ACCENTS[mark];
    if (accent === undefined) return undefined;
    result = `${accent}{${result}}`;
  }
  return result;
}

function codePointHex(char: string): string {
  return char.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0');
}

/**
 * Normalises text for pdflatex: NFC (so é is one character, not e + a combining accent), control
 * characters other than tab and newline removed, lone surrogates replaced.
 */
export function normalizeForTex(text: string): string {
  return text
    .normalize('NFC')
    .replaceAll('\r\n', '\n')
    .replaceAll('\r', '\n')
    .replace(/\p{Cs}/gu, '\ufffd')
    // eslint-disable-next-line no-control-regex
    .replace(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g, '');
}

/** \DeclareUnicodeCharacter lines for every non-ASCII character of a (normalised) document body. */
export function unicodeDeclarations(body: string): string[] {
  const seen = new Set<string>();
  for (const char of body) {
    if (char.codePointAt(0)! >= 0xa0) seen.add(char);
  }
  return [...seen]
    .sort((a, b) => a.codePointAt(0)! - b.codePointAt(0)!)
    .map((char) => `\\DeclareUnicodeCharacter{${codePointHex(char)}}{${unicodeReplacement(char)}}`);
}
