// Markdown + TeX (what problems and layers are written in) → the body of a LaTeX document that
// pdflatex compiles.
//
// How: first the TeX is lifted out of the text (math spans, \begin…\end environments, known text
// commands such as \emph{…}) and replaced by placeholders, so markdown-it never touches math; then
// markdown-it parses the rest and the token stream is written as LaTeX, with LaTeX's special
// characters escaped in text; finally the placeholders are put back.
//
// Math passes through untouched, with a few repairs that change nothing a reader sees but keep
// pdflatex from stopping: an unescaped % or # becomes \% or \#, blank lines inside display math
// are dropped, and a display with & or \\ but no environment is wrapped in `aligned`. Math that
// would still break the document (unbalanced braces, \left without \right, mismatched
// environments, commands that read or write files) is printed as text instead.
//
// Commands outside math: known text commands (\emph, \textbf, …) stay commands; sectioning becomes
// a bold run-in heading; anything else (\leq written without dollars, \frac{a}{b}, custom macros
// such as \RR) is wrapped in \ensuremath; commands that could read files, redefine things or end
// the document are printed literally. Macro and environment names the document's packages may not
// define are collected so the preamble can give them a harmless fallback definition.
import MarkdownIt from 'markdown-it';
import type { Token } from 'markdown-it';

/** Names the converted text uses, so the preamble can define the ones LaTeX does not know. */
export interface TexNames {
  readonly macros: Set<string>;
  readonly environments: Set<string>;
}

export function newTexNames(): TexNames {
  return { macros: new Set(), environments: new Set() };
}

/** Where converted text goes; limits keep LaTeX's list nesting (at most 6, 4 per list kind) legal. */
export interface TexContext {
  /** List-like environments (theorem, proof, quote, center, itemize, verbatim, …) around the text. */
  readonly nesting: number;
  readonly itemize: number;
  readonly enumerate: number;
  /** Inside a \begin{itemize|enumerate|description} from the source, where \item is legal. */
  readonly rawList: boolean;
}

export const TOP_CONTEXT: TexContext = { nesting: 1, itemize: 0, enumerate: 0, rawList: false };

const MAX_NESTING = 5;
const MAX_LIST_DEPTH = 4;

const PLACEHOLDER_OPEN = '\ue000';
const PLACEHOLDER_CLOSE = '\ue001';
const PLACEHOLDER = /\ue000(\d+)\ue001/g;

/** Commands never passed through: they read or write files, redefine things or end the document. */
const BLOCKED_COMMANDS = new Set(
  ('input include includeonly InputIfFileExists IfFileExists openin openout read readline write write18 immediate special '
    + 'def edef gdef xdef let futurelet newcommand renewcommand providecommand DeclareRobustCommand newenvironment renewenvironment '
    + 'newtheorem newcounter setcounter addtocounter catcode lccode uccode mathcode delcode sfcode csname endcsname expandafter noexpand '
    + 'afterassignment aftergroup begingroup endgroup bgroup egroup iffalse iftrue ifx if ifnum ifdim ifcase ifmmode fi else or loop repeat '
    + 'documentclass usepackage RequirePackage document enddocument endinput end makeatletter makeatother verb url detokenize scantokens '
    + 'jobname shipout output everypar everymath everydisplay everyhbox everyvbox everyjob everycr errmessage errhelp message '
    + 'batchmode nonstopmode scrollmode errorstopmode dump tracingall show showthe showbox showlists pdfprimitive directlua '
    + 'pdfshellescape pdffilesize pdfmdfivesum ShellEscape lowercase uppercase number romannumeral the string meaning char chardef mathchardef '
    + 'countdef dimendef skipdef toksdef font fontdimen hyphenation patterns endlinechar newlinechar escapechar globaldefs global long outer protected')
    .split(' '),
);
/** Commands legal only inside tables, alignments or paired delimiters; in text they are printed. */
const ALIGNMENT_COMMANDS = new Set('hline cline multicolumn cr crcr noalign omit span tabularnewline left right middle over atop above choose brace brack item'.split(' '));
/** Text commands with one argument that stay commands (their argument is converted as text). */
const TEXT_ARGUMENT_COMMANDS = new Set('emph textit textbf textsl textsc textrm textsf texttt textup textmd textnormal underline mbox text textsuperscript textsubscript fbox footnote'.split(' '));
/** Sectioning: a bold run-in heading (a \section inside a theorem would read oddly and can break). */
const SECTION_COMMANDS = new Set('part chapter section subsection subsubsection paragraph subparagraph'.split(' '));
/** Text commands without arguments that stay as they are. */
const TEXT_SYMBOL_COMMANDS = new Set(
  'ldots dots textbackslash LaTeX TeX quad qquad enspace thinspace noindent par smallskip medskip bigskip hfill ss ae AE oe OE o O l L i j aa AA dag ddag textless textgreater textbar textasciitilde textasciicircum textunderscore slash today'.split(' '),
);
/** Layout commands dropped with their argument (they make no sense in an exported proof). */
const DROPPED_COMMANDS = new Set('label vspace hspace vskip hskip kern newpage clearpage pagebreak linebreak nopagebreak newline vfill color index'.split(' '));

/** Commands legal only inside an alignment or table environment. */
const ALIGNMENT_ONLY = new Set('hline cline multicolumn cr crcr noalign omit span tabularnewline item'.split(' '));
/** Commands that are errors in math mode. */
const NOT_IN_MATH = new Set('par section subsection subsubsection paragraph subparagraph part chapter item footnote verb'.split(' '));
/** Control symbols that are text accents (an error in math). */
const TEXT_ACCENTS = new Set(["'", '`', '^', '"', '~', '=', '.']);

/** Top-level math environments (a display of their own). */
const DISPLAY_MATH_ENVIRONMENTS = new Set('equation align gather multline flalign alignat eqnarray displaymath'.split(' '));
/** Math environments that need math mode around them. */
const INNER_MATH_ENVIRONMENTS = new Set('cases array matrix pmatrix bmatrix Bmatrix vmatrix Vmatrix smallmatrix aligned gathered alignedat split subarray'.split(' '));
const TABLE_ENVIRONMENTS = new Set('tabular'.split(' '));
const LIST_ENVIRONMENTS = new Set('itemize enumerate description'.split(' '));
const TEXT_ENVIRONMENTS = new Set('center flushleft flushright quote quotation verse'.split(' '));
/** Environments whose arguments or content cannot be carried over safely; printed as text. */
const BLOCKED_ENVIRONMENTS = new Set('document filecontents minipage picture list thebibliography tabbing tabularx tabular* figure table wrapfigure lstlisting minted comment trivlist math'.split(' '));

function baseName(environment: string): string {
  return environment.endsWith('*') ? environment.slice(0, -1) : environment;
}

interface Fragment {
  /** LaTeX in running text. */
  latex: string;
  /** The source text, for code spans and for places the LaTeX cannot go. */
  source: string;
  /** LaTeX for a table cell (no paragraphs or displays); undefined: print the source as text. */
  inline?: string;
}

/** The brace group starting at `start` (which must be "{"); end index after the "}", or -1. */
function braceGroupEnd(text: string, start: number): number {
  let depth = 0;
  for (let index = start; index < text.length; index += 1) {
    const char = text[index];
    if (char === '\\') {
      index += 1;
    } else if (char === '{') {
      depth += 1;
    } else if (char === '}') {
      depth -= 1;
      if (depth === 0) return index + 1;
    } else if (char === '\n' && /^\n[ \t]*\n/.test(text.slice(index, index + 64))) {
      return -1;
    }
  }
  return -1;
}

/** An optional [argument] starting at `start`; end index after "]", or -1. Same line only. */
function bracketGroupEnd(text: string, start: number): number {
  if (text[start] !== '[') return -1;
  let depth = 0;
  for (let index = start; index < text.length; index += 1) {
    const char = text[index];
    if (char === '\\') index += 1;
    else if (char === '{') depth += 1;
    else if (char === '}') depth -= 1;
    else if (char === ']' && depth === 0) return index + 1;
    else if (char === '\n') return -1;
  }
  return -1;
}

function isEscaped(text: string, index: number): boolean {
  let backslashes = 0;
  for (let cursor = index - 1; cursor >= 0 && text[cursor] === '\\'; cursor -= 1) backslashes += 1;
  return backslashes % 2 === 1;
}

/** Index of the matching \end{name} for a \begin{name} whose body starts at `from`, or -1. */
function matchingEnd(text: string, name: string, from: number): { start: number; end: number } | undefined {
  const pattern = /\\(begin|end)\s*\{([^{}\n]*)\}/g;
  pattern.lastIndex = from;
  let depth = 1;
  for (let match = pattern.exec(text); match; match = pattern.exec(text)) {
    if (isEscaped(text, match.index) || match[2] !== name) continue;
    depth += match[1] === 'begin' ? 1 : -1;
    if (depth === 0) return { start: match.index, end: match.index + match[0].length };
  }
  return undefined;
}

export interface MathCheck {
  ok: boolean;
  /** The math with the invisible repairs applied (% and # escaped). */
  text: string;
  /** Whether & or \\ occur outside any environment. */
  alignment: boolean;
  /** Whether a top-level display environment (align, equation, …) occurs. */
  displayEnvironment: boolean;
}

/** Checks math for what would stop pdflatex and applies the invisible repairs. */
export function checkMath(math: string, names: TexNames): MathCheck {
  let text = '';
  let braces = 0;
  let delimiters = 0;
  let alignment = false;
  let displayEnvironment = false;
  let nestedDollars = 0;
  const environments: string[] = [];
  const failed = (): MathCheck => ({ ok: false, text: math, alignment, displayEnvironment });
  for (let index = 0; index < math.length; index += 1) {
    const char = math[index]!;
    if (char === '\\') {
      const word = /^[A-Za-z]+/.exec(math.slice(index + 1));
      if (!word) {
        const next = math[index + 1] ?? '';
        // Text accents and math delimiters are errors inside math.
        if (TEXT_ACCENTS.has(next) || '()[]@'.includes(next)) return failed();
        if (next === '\\' && environments.length === 0 && braces === 0) alignment = true;
        text += char + next;
        index += 1;
        continue;
      }
      const name = word[0];
      if (BLOCKED_COMMANDS.has(name) && name !== 'end') return failed();
      if (name === 'begin' || name === 'end') {
        const argument = /^\s*\{([A-Za-z]+\*?)\}/.exec(math.slice(index + 1 + name.length));
        if (!argument) return failed();
        const environment = argument[1]!;
        if (name === 'begin') {
          if (BLOCKED_ENVIRONMENTS.has(environment)) return failed();
          if (DISPLAY_MATH_ENVIRONMENTS.has(baseName(environment))) displayEnvironment = true;
          else if (!INNER_MATH_ENVIRONMENTS.has(baseName(environment)) && !TABLE_ENVIRONMENTS.has(environment)) return failed();
          environments.push(environment);
        } else if (environments.pop() !== environment) {
          return failed();
        }
      } else if (name === 'left') {
        delimiters += 1;
      } else if (name === 'right') {
        delimiters -= 1;
        if (delimiters < 0) return failed();
      } else if (ALIGNMENT_ONLY.has(name) && environments.length === 0) {
        return failed();
      } else if (NOT_IN_MATH.has(name)) {
        return failed();
      } else {
        names.macros.add(name);
      }
      text += `\\${name}`;
      index += name.length;
      continue;
    }
    if (char === '{') braces += 1;
    if (char === '}') {
      braces -= 1;
      if (braces < 0) return failed();
    }
    if (char === '$') {
      // Math inside \text{…} or a table cell; anywhere else a dollar would end the math early.
      if (braces === 0 && !environments.some((environment) => TABLE_ENVIRONMENTS.has(environment))) return failed();
      nestedDollars += 1;
    }
    if (char === '^' && math[index + 1] === '^') return failed();
    // A sub- or superscript with nothing after it stops pdflatex ("Missing { inserted").
    if ((char === '^' || char === '_') && /^\s*(?:$|[}^_&])/.test(math.slice(index + 1))) return failed();
    if (char === '&' && environments.length === 0) alignment = true;
    text += char === '%' || char === '#' ? `\\${char}` : char;
  }
  if (braces !== 0 || delimiters !== 0 || environments.length > 0 || nestedDollars % 2 === 1) return failed();
  return { ok: true, text, alignment, displayEnvironment };
}

/** Escapes text for LaTeX's text mode (no commands, no math). */
export function escapeText(text: string): string {
  let result = '';
  for (const char of text) {
    switch (char) {
      case '\\': result += '\\textbackslash{}'; break;
      case '{': result += '\\{'; break;
      case '}': result += '\\}'; break;
      // A text \$ in italic (theorem statements) comes from the textcomp fonts; the math dollar does not.
      case '$': result += '\\ensuremath{\\$}'; break;
      case '&': result += '\\&'; break;
      case '#': result += '\\#'; break;
      case '%': result += '\\%'; break;
      case '_': result += '\\_'; break;
      case '~': result += '\\textasciitilde{}'; break;
      case '^': result += '\\textasciicircum{}'; break;
      case '<': result += '\\textless{}'; break;
      case '>': result += '\\textgreater{}'; break;
      case '|': result += '\\textbar{}'; break;
      case PLACEHOLDER_OPEN: case PLACEHOLDER_CLOSE: result += '?'; break;
      default: result += char;
    }
  }
  return result;
}

const markdown = new MarkdownIt({ html: true, linkify: false, typographer: false }).disable(['code']);

/** Converts markdown + TeX to LaTeX. One instance per document: it collects the names used. */
export class LatexWriter {
  readonly names: TexNames;

  constructor(names: TexNames = newTexNames()) {
    this.names = names;
  }

  /** Block content (paragraphs, lists, displays) for running text at `context`. */
  block(source: string, context: TexContext = TOP_CONTEXT): string {
    const fragments: Fragment[] = [];
    const protectedText = this.protect(source, context, fragments);
    const tokens = markdown.parse(protectedText, {});
    return new TokenWriter(this, fragments, context).blocks(tokens).replace(/\n{3,}/g, '\n\n').trim();
  }

  /** One line of inline content (a technique name, a heading); no paragraphs or displays. */
  inline(source: string, context: TexContext = TOP_CONTEXT): string {
    const fragments: Fragment[] = [];
    const protectedText = this.protect(source.replace(/\s*\n\s*/g, ' '), context, fragments);
    const tokens = markdown.parseInline(protectedText, {});
    const writer = new TokenWriter(this, fragments, context);
    return tokens.map((token) => writer.inline(token.children ?? [], true)).join('').trim();
  }

  /** Replaces TeX (math, environments, commands) with placeholders; fills `fragments`. */
  private protect(rawSource: string, context: TexContext, fragments: Fragment[]): string {
    const source = rawSource.replaceAll(PLACEHOLDER_OPEN, '\ufffd').replaceAll(PLACEHOLDER_CLOSE, '\ufffd');
    let out = '';
    const add = (fragment: Fragment): void => {
      out += `${PLACEHOLDER_OPEN}${fragments.length}${PLACEHOLDER_CLOSE}`;
      fragments.push(fragment);
    };
    let index = 0;
    while (index < source.length) {
      const char = source[index]!;
      const lineStart = index === 0 || source[index - 1] === '\n';
      if (lineStart) {
        const fence = /^ {0,3}(`{3,}|~{3,})[^\n]*/.exec(source.slice(index));
        if (fence) {
          const marker = fence[1]!;
          const closing = new RegExp(`\\n {0,3}${marker[0] === '`' ? '`' : '~'}{${marker.length},}[ \\t]*(?=\\n|$)`, 'g');
          closing.lastIndex = index + fence[0].length;
          const close = closing.exec(source);
          const end = close ? close.index + close[0].length : source.length;
          out += source.slice(index, end);
          index = end;
          continue;
        }
      }
      if (char === '`') {
        const run = /^`+/.exec(source.slice(index))![0];
        const close = new RegExp(`(?<!\`)${run}(?!\`)`, 'g');
        close.lastIndex = index + run.length;
        const match = close.exec(source);
        const end = match ? match.index + run.length : index + run.length;
        out += source.slice(index, end);
        index = end;
        continue;
      }
      if (char === '\\') {
        const next = source[index + 1] ?? '';
        if (next === '(' || next === '[') {
          const closer = next === '(' ? '\\)' : '\\]';
          const end = source.indexOf(closer, index + 2);
          if (end >= 0) {
            add(this.mathFragment(source.slice(index + 2, end), next === '[', source.slice(index, end + 2)));
            index = end + 2;
            continue;
          }
        }
        const word = /^[A-Za-z]+/.exec(source.slice(index + 1));
        if (word) {
          const consumed = this.command(source, index, word[0], context, add);
          if (consumed > 0) {
            index += consumed;
            continue;
          }
          out += `\\${word[0]}`;
          index += 1 + word[0].length;
          continue;
        }
        out += char + next;
        index += 2;
        continue;
      }
      if (char === '$') {
        const math = this.dollarMath(source, index);
        if (math) {
          add(this.mathFragment(math.inner, math.display, source.slice(index, math.end)));
          index = math.end;
          continue;
        }
        out += source[index + 1] === '$' ? '\\$\\$' : '\\$';
        index += source[index + 1] === '$' ? 2 : 1;
        continue;
      }
      out += char;
      index += 1;
    }
    return out;
  }

  /** A $…$ or $$…$$ span starting at `start` (pandoc's rules for inline dollars), or undefined. */
  private dollarMath(source: string, start: number): { inner: string; display: boolean; end: number } | undefined {
    if (source[start + 1] === '$') {
      for (let index = start + 2; index < source.length - 1; index += 1) {
        if (source[index] === '$' && source[index + 1] === '$' && !isEscaped(source, index)) {
          return { inner: source.slice(start + 2, index), display: true, end: index + 2 };
        }
      }
      return undefined;
    }
    const first = source[start + 1];
    if (first === undefined) return undefined;
    // Pandoc's rule (no space inside the dollars, no digit after the closing one) keeps "$5 and $6"
    // text; datasets also write "$ x^2 = 1 $", so spaced dollars count when the content is TeX.
    const spacedOpening = /\s/.test(first);
    for (let index = start + 1; index < source.length; index += 1) {
      const char = source[index];
      if (char === '\\') {
        index += 1;
        continue;
      }
      if (char === '\n' && /^\n[ \t]*\n/.test(source.slice(index, index + 64))) return undefined;
      if (char !== '$') continue;
      const inner = source.slice(start + 1, index);
      const tight = !spacedOpening && !/\s/.test(source[index - 1] ?? '');
      if (!/[0-9]/.test(source[index + 1] ?? '') && inner.trim() && (tight || /[\\^_={}<>]/.test(inner))) {
        return { inner, display: false, end: index + 1 };
      }
      if (spacedOpening) return undefined;
    }
    return undefined;
  }

  private mathFragment(inner: string, display: boolean, source: string): Fragment {
    const cleaned = display ? inner.replace(/\n[ \t]*(?=\n)/g, '').replace(/\n{2,}/g, '\n') : inner;
    const check = checkMath(cleaned, this.names);
    if (!check.ok) return this.literal(source);
    if (!display) {
      if (check.alignment || check.displayEnvironment) return this.literal(source);
      return { latex: `$${check.text}$`, source, inline: `$${check.text}$` };
    }
    if (check.displayEnvironment) {
      // $$\begin{align}…\end{align}$$: the environment is the display; anything more is not valid TeX.
      const trimmed = check.text.trim();
      const head = /^\\begin\{([A-Za-z]+\*?)\}/.exec(trimmed);
      const single = head && DISPLAY_MATH_ENVIRONMENTS.has(baseName(head[1]!)) && matchingEnd(trimmed, head[1]!, head[0].length)?.end === trimmed.length;
      return single ? { latex: `\n${trimmed}\n`, source } : this.literal(source);
    }
    const body = check.alignment ? `\\begin{aligned}${check.text}\\end{aligned}` : check.text;
    return { latex: `\n\\[${body}\\]\n`, source, inline: `$\\displaystyle ${body}$` };
  }

  private literal(source: string): Fragment {
    const text = escapeText(source);
    return { latex: text, source, inline: text };
  }

  /**
   * A control word at `start` (the backslash); returns how many characters it consumed (0: leave
   * the text as it is, to be printed literally).
   */
  private command(source: string, start: number, name: string, context: TexContext, add: (fragment: Fragment) => void): number {
    let cursor = start + 1 + name.length;
    if (name === 'begin') return this.environment(source, start, context, add);
    if (BLOCKED_COMMANDS.has(name)) return 0;
    if (name === 'item') {
      const label = bracketGroupEnd(source, cursor);
      const labelText = label > 0 ? this.inline(source.slice(cursor + 1, label - 1), context) : undefined;
      if (label > 0) cursor = label;
      const latex = context.rawList
        ? labelText === undefined ? '\\item{}' : `\\item[${labelText}]`
        : `\\par\\noindent ${labelText ?? '\\ensuremath{\\bullet}'}~`;
      add({ latex, source: source.slice(start, cursor) });
      return cursor - start;
    }
    if (ALIGNMENT_COMMANDS.has(name)) return 0;
    const starred = source[cursor] === '*' && (SECTION_COMMANDS.has(name) || TEXT_ARGUMENT_COMMANDS.has(name));
    if (starred) cursor += 1;
    if (TEXT_ARGUMENT_COMMANDS.has(name) || SECTION_COMMANDS.has(name)) {
      while (source[cursor] === ' ') cursor += 1;
      if (SECTION_COMMANDS.has(name)) {
        const optional = bracketGroupEnd(source, cursor);
        if (optional > 0) cursor = optional;
      }
      if (source[cursor] !== '{') return 0;
      const end = braceGroupEnd(source, cursor);
      if (end < 0) return 0;
      const argument = this.inline(source.slice(cursor + 1, end - 1), context);
      const latex = SECTION_COMMANDS.has(name) ? `\n\\par\\medskip\\noindent\\textbf{${argument}}\\par\n` : `\\${name}{${argument}}`;
      add({ latex, source: source.slice(start, end), inline: SECTION_COMMANDS.has(name) ? `\\textbf{${argument}}` : latex });
      return end - start;
    }
    if (TEXT_SYMBOL_COMMANDS.has(name)) {
      const latex = name === 'par' ? '\n\n' : `\\${name}{}`;
      add({ latex, source: source.slice(start, cursor), inline: name === 'par' ? ' ' : latex });
      return cursor - start;
    }
    // Everything else is taken as math written without dollars, with its arguments.
    const optional = bracketGroupEnd(source, cursor);
    if (optional > 0) cursor = optional;
    for (;;) {
      while (source[cursor] === ' ' && source[cursor + 1] === '{') cursor += 1;
      if (source[cursor] === '{') {
        const end = braceGroupEnd(source, cursor);
        if (end < 0) return 0;
        cursor = end;
        continue;
      }
      const script = /^[_^](?:[A-Za-z0-9]|\\[A-Za-z]+)/.exec(source.slice(cursor));
      if (script) {
        cursor += script[0].length;
        continue;
      }
      if (/^[_^]\{/.test(source.slice(cursor))) {
        const end = braceGroupEnd(source, cursor + 1);
        if (end < 0) return 0;
        cursor = end;
        continue;
      }
      break;
    }
    const raw = source.slice(start, cursor);
    const boxedWords = name === 'boxed' ? /^\\boxed\s*\{\s*(?:\\text\s*\{)?([A-Za-z][A-Za-z .,]*?)\}?\s*\}$/.exec(raw) : null;
    if (boxedWords) {
      // A verdict written as \boxed{proved} outside math: boxed words, not math italics.
      const latex = `\\fbox{${escapeText(boxedWords[1]!.trim())}}`;
      add({ latex, source: raw, inline: latex });
      return cursor - start;
    }
    if (DROPPED_COMMANDS.has(name)) {
      add({ latex: '', source: raw, inline: '' });
      return cursor - start;
    }
    const check = checkMath(raw, this.names);
    if (!check.ok || check.alignment || check.displayEnvironment) return 0;
    const latex = `\\ensuremath{${check.text}}`;
    add({ latex, source: raw, inline: latex });
    return cursor - start;
  }

  /** \begin{name}…\end{name} in the source. */
  private environment(source: string, start: number, context: TexContext, add: (fragment: Fragment) => void): number {
    const head = /^\\begin\s*\{([A-Za-z]+\*?)\}/.exec(source.slice(start));
    if (!head) return 0;
    const name = head[1]!;
    const bodyStart = start + head[0].length;
    const close = matchingEnd(source, name, bodyStart);
    if (!close || BLOCKED_ENVIRONMENTS.has(name)) return 0;
    const whole = source.slice(start, close.end);
    const body = source.slice(bodyStart, close.start);
    const base = baseName(name);
    // Math and tables take no paragraph break: blank lines inside them are dropped.
    const withoutBlankLines = whole.replace(/\n[ \t]*(?=\n)/g, '').replace(/\n{2,}/g, '\n');
    if (DISPLAY_MATH_ENVIRONMENTS.has(base) || INNER_MATH_ENVIRONMENTS.has(base)) {
      const check = checkMath(withoutBlankLines, this.names);
      if (!check.ok) return 0;
      if (DISPLAY_MATH_ENVIRONMENTS.has(base)) add({ latex: `\n${check.text}\n`, source: whole });
      else add({ latex: `\\ensuremath{${check.text}}`, source: whole, inline: `\\ensuremath{${check.text}}` });
      return close.end - start;
    }
    if (TABLE_ENVIRONMENTS.has(name)) {
      const check = checkMath(withoutBlankLines, this.names);
      if (!check.ok) return 0;
      add({ latex: check.text, source: whole });
      return close.end - start;
    }
    if (name === 'verbatim' || name === 'verbatim*') {
      add({ latex: context.nesting < MAX_NESTING ? `\n${whole}\n` : this.verbatimFallback(body), source: whole });
      return close.end - start;
    }
    if (LIST_ENVIRONMENTS.has(name)) {
      const kind = name === 'enumerate' ? 'enumerate' : name === 'itemize' ? 'itemize' : undefined;
      const fits = context.nesting < MAX_NESTING && (kind === undefined || context[kind] < MAX_LIST_DEPTH);
      const inner: TexContext = fits
        ? { ...context, nesting: context.nesting + 1, ...(kind ? { [kind]: context[kind] + 1 } : {}), rawList: true }
        : { ...context, rawList: false };
      let content = this.block(body, inner);
      if (fits && !/^\\item\b/.test(content)) content = `\\item{} ${content}`;
      add({ latex: fits ? `\n\\begin{${name}}\n${content}\n\\end{${name}}\n` : `\n${content}\n`, source: whole });
      return close.end - start;
    }
    const fits = context.nesting < MAX_NESTING;
    const content = this.block(body, fits ? { ...context, nesting: context.nesting + 1, rawList: false } : context);
    if (!TEXT_ENVIRONMENTS.has(name)) this.names.environments.add(name);
    add({ latex: fits ? `\n\\begin{${name}}{}\n${content}\n\\end{${name}}\n` : `\n${content}\n`, source: whole });
    return close.end - start;
  }

  /** Code as typewriter lines, where a verbatim environment would nest too deeply. */
  verbatimFallback(code: string): string {
    const lines = code.replace(/\n$/, '').split('\n').map((line) => `\\texttt{${escapeText(line).replaceAll(' ', '~')}}`);
    return `\n\\par\\noindent ${lines.join('\\\\\n')}\\par\n`;
  }
}

/** Writes markdown-it tokens as LaTeX. */
class TokenWriter {
  private readonly writer: LatexWriter;
  private readonly fragments: readonly Fragment[];
  private readonly contexts: TexContext[];
  /** Per open list: whether it became an environment (false: items written as paragraphs). */
  private readonly lists: { environment: string | undefined; number: number; ordered: boolean }[] = [];
  private readonly wrappers: (string | undefined)[] = [];

  constructor(writer: LatexWriter, fragments: readonly Fragment[], context: TexContext) {
    this.writer = writer;
    this.fragments = fragments;
    this.contexts = [context];
  }

  private get context(): TexContext {
    return this.contexts[this.contexts.length - 1]!;
  }

  /** Text with placeholders restored: as LaTeX, as source (code), or for a table cell. */
  private restore(text: string, mode: 'latex' | 'source' | 'cell'): string {
    const parts = text.split(PLACEHOLDER);
    let result = '';
    for (let index = 0; index < parts.length; index += 1) {
      const part = parts[index]!;
      if (index % 2 === 0) {
        result += mode === 'source' ? part : escapeText(part);
        continue;
      }
      const fragment = this.fragments[Number(part)];
      if (!fragment) continue;
      if (mode === 'source') result += fragment.source;
      // No paragraph break may reach a cell, a heading or emphasis: blank lines become line breaks.
      else if (mode === 'cell') result += (fragment.inline ?? escapeText(fragment.source)).replace(/\n[ \t]*\n\s*/g, '\n');
      else result += fragment.latex;
    }
    return result;
  }

  /** Source text of code (placeholders back to what was written). */
  private code(text: string): string {
    return this.restore(text, 'source');
  }

  blocks(tokens: readonly Token[]): string {
    let out = '';
    for (let index = 0; index < tokens.length; index += 1) {
      const token = tokens[index]!;
      switch (token.type) {
        case 'paragraph_open':
          break;
        case 'paragraph_close':
          // In a tight list the item's own line break follows (list_item_close).
          out += token.hidden ? '' : '\n\n';
          break;
        case 'inline':
          out += this.inline(token.children ?? [], false);
          break;
        case 'heading_open': {
          const inline = tokens[index + 1];
          out += `\n\\par\\medskip\\noindent\\textbf{${inline ? this.inline(inline.children ?? [], true) : ''}}\\par\\smallskip\n`;
          index += 2;
          break;
        }
        case 'bullet_list_open':
        case 'ordered_list_open':
          out += this.openList(token);
          break;
        case 'bullet_list_close':
        case 'ordered_list_close': {
          const list = this.lists.pop();
          this.contexts.pop();
          out += list?.environment ? `\\end{${list.environment}}\n` : '\n';
          break;
        }
        case 'list_item_open': {
          const list = this.lists[this.lists.length - 1];
          if (!list || list.environment) {
            out += '\\item{} ';
          } else {
            out += `\\par\\noindent ${list.ordered ? `${list.number}.` : '\\ensuremath{\\bullet}'}~`;
            list.number += 1;
          }
          break;
        }
        case 'list_item_close':
          out += '\n';
          break;
        case 'blockquote_open': {
          const fits = this.context.nesting < MAX_NESTING;
          this.wrappers.push(fits ? 'quote' : undefined);
          if (fits) {
            this.contexts.push({ ...this.context, nesting: this.context.nesting + 1 });
            out += '\n\\begin{quote}\n';
          }
          break;
        }
        case 'blockquote_close': {
          const wrapper = this.wrappers.pop();
          if (wrapper) {
            this.contexts.pop();
            out += `\\end{${wrapper}}\n`;
          }
          break;
        }
        case 'fence':
        case 'code_block': {
          const code = this.code(token.content);
          out += this.context.nesting < MAX_NESTING
            ? `\n\\begin{verbatim}\n${code.replaceAll('\\end{verbatim}', '\\end {verbatim}').replace(/\n?$/, '\n')}\\end{verbatim}\n`
            : this.writer.verbatimFallback(code);
          break;
        }
        case 'hr':
          out += '\n\\par\\noindent\\rule{\\linewidth}{0.4pt}\\par\n';
          break;
        case 'html_block':
          if (!/^\s*<!--/.test(token.content)) out += `${this.restore(token.content.trim(), 'latex')}\n\n`;
          break;
        case 'table_open': {
          const end = tokens.findIndex((candidate, position) => position > index && candidate.type === 'table_close');
          out += this.table(tokens.slice(index, end < 0 ? tokens.length : end + 1));
          index = end < 0 ? tokens.length : end;
          break;
        }
        default:
          if (token.children) out += this.inline(token.children, false);
          else if (token.content) out += this.restore(token.content, 'latex');
      }
    }
    return out;
  }

  private openList(token: Token): string {
    const ordered = token.type === 'ordered_list_open';
    const kind = ordered ? 'enumerate' : 'itemize';
    const context = this.context;
    const fits = context.nesting < MAX_NESTING && context[kind] < MAX_LIST_DEPTH;
    const start = Number(token.attrGet('start') ?? 1);
    this.lists.push({ environment: fits ? kind : undefined, number: Number.isFinite(start) ? start : 1, ordered });
    this.contexts.push(fits ? { ...context, nesting: context.nesting + 1, [kind]: context[kind] + 1, rawList: false } : context);
    if (!fits) return '\n';
    const counter = `enum${'i'.repeat(context.enumerate + 1).replace('iiii', 'iv')}`;
    return `\n\\begin{${kind}}\n${ordered && start !== 1 && Number.isInteger(start) ? `\\setcounter{${counter}}{${start - 1}}\n` : ''}`;
  }

  private table(tokens: readonly Token[]): string {
    const rows: string[][] = [];
    const aligns: string[] = [];
    let row: string[] | undefined;
    let headerRows = 0;
    for (const token of tokens) {
      if (token.type === 'tr_open') row = [];
      else if (token.type === 'tr_close' && row) rows.push(row);
      else if (token.type === 'thead_close') headerRows = rows.length;
      else if ((token.type === 'th_open' || token.type === 'td_open') && rows.length === 0) {
        const style = String(token.attrGet('style') ?? '');
        aligns.push(style.includes('center') ? 'c' : style.includes('right') ? 'r' : 'l');
      } else if (token.type === 'inline' && row) {
        row.push(this.cell(token.children ?? []));
      }
    }
    if (rows.length === 0 || aligns.length === 0) return '';
    const lines = rows.map((cells, position) => {
      const padded = [...cells, ...Array<string>(Math.max(0, aligns.length - cells.length)).fill('')].slice(0, aligns.length);
      // "{}" keeps a cell that starts with [ or * from being read as an option of the \\ before it.
      return `{}${padded.join(' & ')} \\\\${position === headerRows - 1 ? ' \\hline' : ''}`;
    });
    return `\n\\par\\noindent\\begin{tabular}{|${aligns.join('|')}|}\n\\hline\n${lines.join('\n')}\n\\hline\n\\end{tabular}\\par\n`;
  }

  private cell(children: readonly Token[]): string {
    return this.inlineTokens(children, 'cell');
  }

  /** Inline tokens; `inlineOnly` for headings and names (display content written inline). */
  inline(children: readonly Token[], inlineOnly: boolean): string {
    return this.inlineTokens(children, inlineOnly ? 'cell' : 'latex');
  }

  private inlineTokens(children: readonly Token[], mode: 'latex' | 'cell'): string {
    let out = '';
    const links: string[] = [];
    // \textbf{…} and \emph{…} take no paragraph break: inside them, content is written as in a cell.
    let emphasis = 0;
    const here = (): 'latex' | 'cell' => (emphasis > 0 ? 'cell' : mode);
    for (const token of children) {
      switch (token.type) {
        case 'text':
          out += this.restore(token.content, here());
          break;
        case 'softbreak':
          out += '\n';
          break;
        case 'hardbreak':
          out += here() === 'cell' ? ' ' : '\\par\n';
          break;
        case 'strong_open':
          emphasis += 1;
          out += '\\textbf{';
          break;
        case 'em_open':
          emphasis += 1;
          out += '\\emph{';
          break;
        case 'strong_close':
        case 'em_close':
          emphasis -= 1;
          out += '}';
          break;
        case 's_open':
        case 's_close':
          break;
        case 'code_inline':
          out += `\\texttt{${escapeText(this.code(token.content))}}`;
          break;
        case 'link_open':
          links.push(String(token.attrGet('href') ?? ''));
          break;
        case 'link_close': {
          const href = links.pop() ?? '';
          if (href && !out.endsWith(escapeText(href)) && !out.endsWith(escapeText(href.replace(/^mailto:/, '')))) out += ` (\\texttt{${escapeText(href)}})`;
          break;
        }
        case 'image':
          out += this.restore(token.content, here());
          break;
        case 'html_inline':
          if (!token.content.startsWith('<!--')) out += escapeText(this.code(token.content));
          break;
        default:
          out += this.restore(token.content, here());
      }
    }
    return out;
  }
}
