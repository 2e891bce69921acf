// Markdown structure with source positions, from markdown-it's block parser.
//
// Only block structure is needed here (where paragraphs, headings, lists and fences start and end),
// so inline parsing is switched off: an `inline` token keeps its raw source in `content`, and a
// 5 MB document parses in a fraction of the time a full render takes.
import MarkdownIt from 'markdown-it';
import type { MarkdownIt as MarkdownParser, Token } from 'markdown-it';

let blockParser: MarkdownParser | undefined;

function parser(): MarkdownParser {
  if (!blockParser) {
    // html: the insight-proof markers are HTML comments and must come out as html_block tokens.
    blockParser = new MarkdownIt('default', { html: true });
    blockParser.disable(['inline', 'text_join', 'linkify', 'replacements', 'smartquotes'], true);
  }
  return blockParser;
}

/** markdown-it's block tokens for a document; `map` holds zero-based [startLine, endLine) pairs. */
export function blockTokens(markdown: string): Token[] {
  return parser().parse(markdown, {});
}

/** Splits text into lines the way markdown-it counts them (CRLF, CR and LF all end a line). */
export function splitLines(text: string): string[] {
  return text.split(/\r\n?|\n/);
}
