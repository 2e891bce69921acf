import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { inferTechniqueKind, parseProof, parseSketch, parseTechniques, parseVerdict } from '../../src/core/parse.ts';

/** name, kind, detail of every technique, for compact assertions. */
function techniques(text: string) {
  return parseTechniques(text).value.map((item) => [item.name, item.kind, item.detail]);
}

function steps(text: string) {
  return parseSketch(text).value.map((step) => step.text);
}

describe('parseTechniques: markdown lists as models write them', () => {
  test('a chatty numbered list with bold names and em dashes; the intro and the closing remark go to warnings', () => {
    const answer = `Here are the core techniques for this problem:

1. **Pigeonhole principle** — Split the unit square into four quadrants of side $\\frac12$; five points force two into one quadrant.
2. **Auxiliary function** — Define $g(x) = f(x) - x$ on $[0, 1]$ and look at its sign.
3. **Triangle inequality** — Bound $|x - y| \\le |x| + |y|$ for the pair found in (1).

Together, these give the bound $\\sqrt{2}/2$.`;
    const parsed = parseTechniques(answer);
    assert.deepEqual(
      parsed.value.map((item) => [item.name, item.kind, item.detail]),
      [
        ['Pigeonhole principle', 'theorem', 'Split the unit square into four quadrants of side $\\frac12$; five points force two into one quadrant.'],
        ['Auxiliary function', 'construction', 'Define $g(x) = f(x) - x$ on $[0, 1]$ and look at its sign.'],
        ['Triangle inequality', 'theorem', 'Bound $|x - y| \\le |x| + |y|$ for the pair found in (1).'],
      ],
    );
    assert.equal(parsed.warnings.length, 2);
    assert.match(parsed.warnings[0]!, /before the techniques.*"Here are the core techniques for this problem:"/);
    assert.match(parsed.warnings[1]!, /after the techniques.*"Together, these give the bound \$\\sqrt\{2\}\/2\$\."/);
  });

  test('bullets with `**Name**: detail`, `**Name.** detail` and `**Name:** detail`', () => {
    assert.deepEqual(
      techniques(`* **Cauchy–Schwarz inequality**: $(\\sum a_i b_i)^2 \\le \\sum a_i^2 \\sum b_i^2$ with $b_i = 1$.
* **Substitution.** Put $x = a/b$, so that the inequality becomes one-variable.
* **Vieta's formulas:** the roots satisfy $r_1 + r_2 = -p$.`),
      [
        ['Cauchy–Schwarz inequality', 'theorem', '$(\\sum a_i b_i)^2 \\le \\sum a_i^2 \\sum b_i^2$ with $b_i = 1$.'],
        ['Substitution', 'transformation', 'Put $x = a/b$, so that the inequality becomes one-variable.'],
        ["Vieta's formulas", 'theorem', 'the roots satisfy $r_1 + r_2 = -p$.'],
      ],
    );
  });

  test('plain `Name: detail`, `Name – detail` and `Name - detail`; colons, dashes and stars inside math never split', () => {
    assert.deepEqual(
      techniques(`- Ratio $a:b$ argument: compare $a:b$ with $c:d$ term by term.
- WLOG $x - y \\ge 0$ – order the variables so that $x \\ge y$.
- Expand $a*b$ - the product telescopes after expansion.
+ Consider the function $f(x) = x^2 - x$: it is convex.`),
      [
        ['Ratio $a:b$ argument', 'other', 'compare $a:b$ with $c:d$ term by term.'],
        ['WLOG $x - y \\ge 0$', 'transformation', 'order the variables so that $x \\ge y$.'],
        ['Expand $a*b$', 'transformation', 'the product telescopes after expansion.'],
        ['Consider the function $f(x) = x^2 - x$', 'construction', 'it is convex.'],
      ],
    );
  });

  test('names joined by dashes without spaces stay whole (AM–GM, Cauchy–Schwarz)', () => {
    assert.deepEqual(techniques('1. AM–GM on the three terms: $a+b+c \\ge 3\\sqrt[3]{abc}$.\n2. Cauchy–Schwarz in Engel form'), [
      ['AM–GM on the three terms', 'theorem', '$a+b+c \\ge 3\\sqrt[3]{abc}$.'],
      ['Cauchy–Schwarz in Engel form', 'theorem', ''],
    ]);
  });

  test('`1)` markers, multi-line items, nested bullets and indented display math belong to their item', () => {
    const answer = `1) **Strong induction on $n$**: assume the claim for all $m < n$.
   The base cases $n = 1, 2$ are checked by hand.
   - if $n$ is even, halve it;
   - if $n$ is odd, use $n - 1$.
2) **Telescoping**: write
   $$
   \\sum_{k=1}^{n} \\frac{1}{k(k+1)} = \\sum_{k=1}^{n} \\left(\\frac1k - \\frac1{k+1}\\right)
   $$
   and cancel.`;
    const parsed = parseTechniques(answer);
    assert.deepEqual(parsed.warnings, []);
    assert.deepEqual(
      parsed.value.map((item) => item.name),
      ['Strong induction on $n$', 'Telescoping'],
    );
    assert.equal(parsed.value[0]!.detail, 'assume the claim for all $m < n$.\nThe base cases $n = 1, 2$ are checked by hand.\n- if $n$ is even, halve it;\n- if $n$ is odd, use $n - 1$.');
    assert.equal(parsed.value[0]!.kind, 'other', 'induction is a proof method, not a construction, theorem or transformation');
    assert.equal(parsed.value[1]!.detail, 'write\n$$\n\\sum_{k=1}^{n} \\frac{1}{k(k+1)} = \\sum_{k=1}^{n} \\left(\\frac1k - \\frac1{k+1}\\right)\n$$\nand cancel.');
    assert.equal(parsed.value[1]!.kind, 'transformation');
  });

  test('numbered items with bullets indented too little to nest: the bullets stay with the item above', () => {
    assert.deepEqual(
      techniques(`1. **Invariant**: the parity of the number of black cells.
 - it never changes under a move
2. **Colouring**: a chessboard colouring of the board.`),
      [
        ['Invariant', 'construction', 'the parity of the number of black cells.\n\n- it never changes under a move'],
        ['Colouring', 'construction', 'a chessboard colouring of the board.'],
      ],
    );
  });

  test('a paragraph between two items belongs to the item above it', () => {
    const parsed = parseTechniques(`1. **Extremal principle**: take the largest element $m$.

This works because the set is finite.

2. **Contradiction**: assume $m$ is not unique.`);
    assert.deepEqual(parsed.warnings, []);
    assert.deepEqual(
      parsed.value.map((item) => item.detail),
      ['take the largest element $m$.\n\nThis works because the set is finite.', 'assume $m$ is not unique.'],
    );
  });

  test('headings per item, with paragraphs and bullets under them', () => {
    const parsed = parseTechniques(`## Core Techniques

### Technique 1: Generating functions
Encode the counts as $F(x) = \\sum_{n \\ge 0} a_n x^n$.

- the recurrence becomes $F(x)(1 - x - x^2) = 1$.

### Technique 2: Partial fractions
Split $\\frac{1}{1 - x - x^2}$ into two geometric series.`);
    assert.deepEqual(
      parsed.value.map((item) => [item.name, item.kind, item.detail]),
      [
        ['Generating functions', 'construction', 'Encode the counts as $F(x) = \\sum_{n \\ge 0} a_n x^n$.\n\n- the recurrence becomes $F(x)(1 - x - x^2) = 1$.'],
        ['Partial fractions', 'other', 'Split $\\frac{1}{1 - x - x^2}$ into two geometric series.'],
      ],
    );
    assert.equal(parsed.warnings.length, 1);
    assert.match(parsed.warnings[0]!, /"## Core Techniques"/);
  });

  test('numbered headings and unlabelled headings of one level are items; a rule ends the last one', () => {
    assert.deepEqual(techniques('### 1. Pigeonhole principle\nFive points, four quadrants.\n### 2. Rotation by $90^\\circ$\nMaps the square to itself.'), [
      ['Pigeonhole principle', 'theorem', 'Five points, four quadrants.'],
      ['Rotation by $90^\\circ$', 'other', 'Maps the square to itself.'],
    ]);
    const parsed = parseTechniques('## Lifting the exponent\nFor odd $p \\mid a - b$.\n\n## Zsigmondy\nA primitive divisor exists.\n\n---\n\nI hope this helps!');
    assert.deepEqual(
      parsed.value.map((item) => item.name),
      ['Lifting the exponent', 'Zsigmondy'],
    );
    assert.match(parsed.warnings[0]!, /after the techniques.*"I hope this helps!"/);
  });

  test('framing headings around a numbered list do not become items', () => {
    const parsed = parseTechniques('## Key ideas\n\n1. Pigeonhole: two points share a box.\n2. Averaging: some box holds many points.\n\n## Why it works\n\nBoth are counting arguments.');
    assert.deepEqual(
      parsed.value.map((item) => item.name),
      ['Pigeonhole', 'Averaging'],
    );
  });

  test('bold-name paragraphs without a list', () => {
    assert.deepEqual(
      techniques(`**Reduction modulo 4.** Squares are $0$ or $1 \\pmod 4$, so $a^2 + b^2 \\not\\equiv 3$.

**Infinite descent.** A minimal solution would produce a smaller one.
This contradicts minimality.`),
      [
        ['Reduction modulo 4', 'transformation', 'Squares are $0$ or $1 \\pmod 4$, so $a^2 + b^2 \\not\\equiv 3$.'],
        ['Infinite descent', 'other', 'A minimal solution would produce a smaller one.\nThis contradicts minimality.'],
      ],
    );
  });

  test('bold names on consecutive lines, and bold numbered names, each start an item', () => {
    assert.deepEqual(techniques('**Pigeonhole:** two of the five points share a quadrant.\n**Distance:** a quadrant has diameter $\\sqrt2/2$.'), [
      ['Pigeonhole', 'theorem', 'two of the five points share a quadrant.'],
      ['Distance', 'other', 'a quadrant has diameter $\\sqrt2/2$.'],
    ]);
    assert.deepEqual(techniques('Okay, here they are.\n\n**1. Substitution:** let $t = x/y$.\n**2. AM-GM.** On $t + 1/t$.'), [
      ['Substitution', 'transformation', 'let $t = x/y$.'],
      ['AM-GM', 'theorem', 'On $t + 1/t$.'],
    ]);
    const prose = parseTechniques('**Note** that **this** is prose.\nIt goes on with **emphasis** inside.');
    assert.deepEqual(prose.value, [{ name: 'Note that this is prose.', kind: 'other', detail: '**Note** that **this** is prose.\nIt goes on with **emphasis** inside.' }]);
    assert.equal(prose.warnings.length, 1, 'prose with emphasis is not split into items');
  });

  test('a kind marker in a heading', () => {
    assert.deepEqual(techniques('### Technique 1: Reflection across $BC$ (transformation)\nReflect $A$ to $A\'$.'), [['Reflection across $BC$', 'transformation', "Reflect $A$ to $A'$."]]);
  });

  test('`**Technique 1.** Name: detail` and `Technique 2: **Name** — detail` labels are dropped from the name', () => {
    assert.deepEqual(techniques('1. **Technique 1.** Jensen: $f$ is convex.\n2. Technique 2: **Schur** — degree one.'), [
      ['Jensen', 'theorem', '$f$ is convex.'],
      ['Schur', 'theorem', 'degree one.'],
    ]);
  });

  test('explicit kind markers win over keywords and are removed from the text', () => {
    assert.deepEqual(
      techniques(`1. **Cauchy–Schwarz** (construction): pair the terms.
2. **Define a potential** *(theorem)*: $\\Phi = \\sum x_i^2$.
3. Rewrite the sum [other]: as an integral.
4. **Key lemma**
   Kind: transformation
   Every bounded monotone sequence converges.
5. **Gluing**: Kind: construction. Glue two copies of the graph.`),
      [
        ['Cauchy–Schwarz', 'construction', 'pair the terms.'],
        ['Define a potential', 'theorem', '$\\Phi = \\sum x_i^2$.'],
        ['Rewrite the sum', 'other', 'as an integral.'],
        ['Key lemma', 'transformation', 'Every bounded monotone sequence converges.'],
        ['Gluing', 'construction', 'Glue two copies of the graph.'],
      ],
    );
  });

  test("the layer editor's own format reads back (`1. **Name** (kind): detail`)", () => {
    assert.deepEqual(techniques('1. **Pigeonhole principle** (theorem): Five points, four quadrants.\n2. **$g(x) = f(x) - x$** (construction): Changes sign.'), [
      ['Pigeonhole principle', 'theorem', 'Five points, four quadrants.'],
      ['$g(x) = f(x) - x$', 'construction', 'Changes sign.'],
    ]);
  });

  test('a long first line without separator gives a shortened name and keeps the whole text as detail', () => {
    const line = 'Apply the rearrangement inequality to the sequences $a_i$ and $b_i$ sorted in the same order and compare with the given sum';
    const [item] = parseTechniques(`- ${line}\n- Short one`).value;
    assert.ok(item!.name.endsWith('…') && item!.name.length <= 61, item!.name);
    assert.ok(line.startsWith(item!.name.slice(0, -1)));
    assert.equal(item!.detail, line);
    assert.equal(item!.kind, 'theorem');
  });

  test('numbers inside a code fence or display math never start items', () => {
    const parsed = parseTechniques('- **Recursion**: compute small cases:\n\n  ```\n  1. n=1 -> 1\n  2. n=2 -> 3\n  ```\n- **Guess and prove**: the pattern is $2^n - 1$.');
    assert.deepEqual(
      parsed.value.map((item) => item.name),
      ['Recursion', 'Guess and prove'],
    );
    assert.equal(parsed.value[0]!.detail, 'compute small cases:\n\n```\n1. n=1 -> 1\n2. n=2 -> 3\n```');
  });

  test('a reasoning block is never an item', () => {
    const parsed = parseTechniques('<think>\n1. maybe induction?\n2. or pigeonhole\n</think>\n1. **Pigeonhole principle**: five points.');
    assert.deepEqual(
      parsed.value.map((item) => item.name),
      ['Pigeonhole principle'],
    );
    assert.deepEqual(parseTechniques('first try AM-GM</think>\n- **AM-GM**: on $a, b$.').value.map((item) => item.name), ['AM-GM']);
  });

  test('text that cannot be split becomes one item with a warning, nothing dropped', () => {
    const answer = 'The key insight is to look at the problem modulo 9 and notice that the digit sum is preserved, after which everything follows.';
    const parsed = parseTechniques(answer);
    assert.equal(parsed.value.length, 1);
    assert.equal(parsed.value[0]!.detail, answer);
    assert.ok(parsed.value[0]!.name.endsWith('…'));
    assert.ok(answer.startsWith(parsed.value[0]!.name.slice(0, -1)));
    assert.deepEqual(parsed.warnings, ["The model's answer could not be split into techniques; it is shown as one item, which you can edit into a list or regenerate."]);
  });

  test('an empty answer gives no items and says so', () => {
    const parsed = parseTechniques('  \n<think>only thoughts</think>\n ');
    assert.deepEqual(parsed.value, []);
    assert.match(parsed.warnings[0]!, /empty/);
  });
});

describe('parseTechniques: JSON', () => {
  test('an object with a techniques array in a ```json fence, between chatter', () => {
    const parsed = parseTechniques(`Sure! Here is the JSON you asked for:

\`\`\`json
{
  "techniques": [
    { "name": "Pigeonhole principle", "kind": "theorem", "detail": "Five points, four quadrants." },
    { "name": "Auxiliary point", "kind": "Construction", "detail": "Reflect $A$ over $BC$." }
  ]
}
\`\`\`

Let me know if you need more.`);
    assert.deepEqual(
      parsed.value.map((item) => [item.name, item.kind, item.detail]),
      [
        ['Pigeonhole principle', 'theorem', 'Five points, four quadrants.'],
        ['Auxiliary point', 'construction', 'Reflect $A$ over $BC$.'],
      ],
    );
    assert.equal(parsed.warnings.length, 2);
    assert.match(parsed.warnings[0]!, /Sure! Here is the JSON you asked for:/);
    assert.match(parsed.warnings[1]!, /Let me know if you need more\./);
  });

  test('a bare array of objects with title/description/type, and a kind word that is not one of the four', () => {
    assert.deepEqual(
      techniques('[{"title": "AM-GM", "description": "On $x, y$.", "type": "inequality"}, {"technique": "Change of variables", "explanation": "Let $u = x + y$."}, {"idea": "Colour the board", "how": "Black and white.", "type": "lemma"}]'),
      [
        ['AM-GM', 'theorem', 'On $x, y$.'],
        ['Change of variables', 'transformation', 'Let $u = x + y$.'],
        ['Colour the board', 'theorem', 'Black and white.'],
      ],
    );
  });

  test('a bare array of strings, and an items array', () => {
    assert.deepEqual(techniques('["Pigeonhole principle: two points share a box", "Induction on $n$"]'), [
      ['Pigeonhole principle', 'theorem', 'two points share a box'],
      ['Induction on $n$', 'other', ''],
    ]);
    assert.deepEqual(techniques('{"items": ["WLOG $a \\\\le b$"]}'), [['WLOG $a \\le b$', 'transformation', '']]);
  });

  test('unknown fields are kept in the detail; step numbers are dropped; extra top-level fields become warnings', () => {
    const parsed = parseTechniques('{"techniques": [{"id": 1, "name": "Jensen", "detail": "$f$ convex.", "why": "The function is convex."}], "summary": "One idea suffices."}');
    assert.deepEqual(parsed.value, [{ name: 'Jensen', kind: 'theorem', detail: '$f$ convex.\n\nWhy: The function is convex.' }]);
    assert.deepEqual(parsed.warnings, ['The answer also gave "summary": "One idea suffices."']);
  });

  test('trailing commas are forgiven', () => {
    assert.deepEqual(techniques('{"techniques": [{"name": "Schur", "detail": "t = 1",},],}'), [['Schur', 'theorem', 't = 1']]);
  });

  test('JSON that holds no items is read as text instead', () => {
    const parsed = parseTechniques('{"answer": 42}');
    assert.equal(parsed.value.length, 1);
    assert.equal(parsed.value[0]!.detail, '{"answer": 42}');
    assert.equal(parsed.warnings.length, 1);
  });
});

describe('inferTechniqueKind', () => {
  const cases: Array<[string, string, string]> = [
    ['Auxiliary circle', '', 'construction'],
    ['Consider the function $h(x) = e^{-x} f(x)$', '', 'construction'],
    ['Key step', 'Define an auxiliary sequence $b_n = a_n - n$.', 'construction'],
    ['Monovariant', 'The sum decreases at every move.', 'construction'],
    ['Explicit counterexample', '$n = 5$ fails.', 'construction'],
    ['AM-GM', '', 'theorem'],
    ['Cauchy–Schwarz', '', 'theorem'],
    ["Fermat's little theorem", '', 'theorem'],
    ['Extremal principle', '', 'theorem'],
    ['Key lemma', 'Every tree has a leaf.', 'theorem'],
    ['Bound', 'By the power mean inequality.', 'theorem'],
    ['Substitution $x = \\tan t$', '', 'transformation'],
    ['WLOG', 'Assume $a \\ge b \\ge c$.', 'transformation'],
    ['Reduce to the prime case', '', 'transformation'],
    ['Change of variables', '', 'transformation'],
    ['Homogenization', '', 'transformation'],
    ['Take logarithms', '', 'transformation'],
    ['Induction on $n$', 'Base case $n = 1$.', 'other'],
    ['Proof by contradiction', '', 'other'],
    ['Double counting', 'Count pairs in two ways.', 'other'],
    ['Principle of induction', '', 'theorem'],
    ['Substitution', '(construction)', 'construction'],
    ['Pigeonhole', 'Kind: transformation', 'transformation'],
  ];
  for (const [name, detail, kind] of cases) {
    test(`${name} ${detail} → ${kind}`, () => assert.equal(inferTechniqueKind(name, detail), kind));
  }

  test('the name outweighs the detail; within one text the earliest keyword wins', () => {
    assert.equal(inferTechniqueKind('Pigeonhole principle', 'Define boxes by the residues.'), 'theorem');
    assert.equal(inferTechniqueKind('Construct a bijection, then apply Hall’s theorem', ''), 'construction');
  });
});

describe('parseSketch', () => {
  test('a numbered plan with multi-line steps and math', () => {
    const parsed = parseSketch(`Here is a plan:

1. Reduce to the case $\\gcd(a, b) = 1$ by dividing out $d = \\gcd(a, b)$.
2. Show $a*b \\mid c$ implies $a \\mid c$:
   use Bézout, $ax + by = 1$.
3. Conclude with $c = ab \\cdot k$.`);
    assert.deepEqual(
      parsed.value.map((step) => step.text),
      [
        'Reduce to the case $\\gcd(a, b) = 1$ by dividing out $d = \\gcd(a, b)$.',
        'Show $a*b \\mid c$ implies $a \\mid c$:\nuse Bézout, $ax + by = 1$.',
        'Conclude with $c = ab \\cdot k$.',
      ],
    );
    assert.match(parsed.warnings[0]!, /"Here is a plan:"/);
  });

  test('`**Step 1.**` paragraphs, with a title kept bold and display math kept in its step', () => {
    assert.deepEqual(
      steps(`**Step 1.** Set $x_n = a_n / n$.

**Step 2: Bound the error.** By AM-GM,

$$ x_n + \\frac{1}{x_n} \\ge 2. $$

Hence $x_n \\to 1$.

**Step 3 —** Conclude.`),
      ['Set $x_n = a_n / n$.', '**Bound the error.** By AM-GM,\n\n$$ x_n + \\frac{1}{x_n} \\ge 2. $$\n\nHence $x_n \\to 1$.', 'Conclude.'],
    );
  });

  test('bold numbers as labels: `**1.** text` and `**2. Title.** text`', () => {
    assert.deepEqual(steps('**1.** Expand both sides.\n**2. Compare.** The leading terms agree.\n\n**3)** Conclude.'), ['Expand both sides.', '**Compare.** The leading terms agree.', 'Conclude.']);
  });

  test('plain `Step N:` lines, even within one paragraph', () => {
    assert.deepEqual(steps('Step 1: Colour the board like a chessboard.\nStep 2: Each domino covers one black and one white cell.\nStep 3: Count the cells.'), [
      'Colour the board like a chessboard.',
      'Each domino covers one black and one white cell.',
      'Count the cells.',
    ]);
  });

  test('headings per step keep their title above the body', () => {
    assert.deepEqual(steps('### Step 1: Reduce\nAssume $p$ is odd.\n\n### Step 2: Lift\nApply LTE.'), ['Reduce\n\nAssume $p$ is odd.', 'Lift\n\nApply LTE.']);
  });

  test('JSON steps: strings, objects with text, and objects with title and description', () => {
    assert.deepEqual(steps('{"steps": ["Expand.", {"step": 2, "text": "Collect terms."}, {"step": 3, "title": "Finish", "description": "Apply AM-GM."}]}'), [
      'Expand.',
      'Collect terms.',
      '**Finish.** Apply AM-GM.',
    ]);
  });

  test('plain paragraphs are steps; a one-line lead-in ending with a colon is not', () => {
    const parsed = parseSketch('The plan is as follows:\n\nFirst reduce to primes.\n\nThen apply the Chinese remainder theorem.\n\n$$ n \\equiv 1 \\pmod{p} $$');
    assert.deepEqual(
      parsed.value.map((step) => step.text),
      ['First reduce to primes.', 'Then apply the Chinese remainder theorem.\n\n$$ n \\equiv 1 \\pmod{p} $$'],
    );
    assert.equal(parsed.warnings.length, 1);
  });

  test('a single paragraph is one step with a warning', () => {
    const parsed = parseSketch('Induct on n and use the recurrence to finish.');
    assert.deepEqual(parsed.value, [{ text: 'Induct on n and use the recurrence to finish.' }]);
    assert.deepEqual(parsed.warnings, ["The model's answer could not be split into steps; it is shown as one step, which you can edit into a list or regenerate."]);
  });
});

describe('parseProof and parseVerdict', () => {
  test('the proof is kept verbatim (trimmed) and the verdict is the last boxed one', () => {
    const text = '\n  **Proof.** Suppose not. Then $a:b = c - d$ and $a*b$ ...\n\nAt first one might guess \\boxed{disproved}, but in fact\n\n\\boxed{proved}\n\n';
    const parsed = parseProof(text);
    assert.equal(parsed.value.text, text.trim());
    assert.equal(parsed.value.verdict, 'proved');
    assert.deepEqual(parsed.warnings, []);
  });

  test('verdict spellings: \\text{}, \\textbf{}, case, spaces, and none', () => {
    assert.equal(parseVerdict('\\boxed{\\text{Proved}}'), 'proved');
    assert.equal(parseVerdict('\\boxed{ \\textbf{ DISPROVED } }'), 'disproved');
    assert.equal(parseVerdict('so \\boxed {Disproved}.'), 'disproved');
    assert.equal(parseVerdict('\\boxed{\\mathrm{proved}.}'), 'proved');
    assert.equal(parseVerdict('the answer is \\boxed{42}; the claim is proved'), null);
    assert.equal(parseVerdict(''), null);
  });

  test('a reasoning block is kept out of the proof and its boxed guesses do not count', () => {
    const parsed = parseProof('<think>maybe \\boxed{disproved}?</think>\nWe show it. \\boxed{proved}');
    assert.equal(parsed.value.text, 'We show it. \\boxed{proved}');
    assert.equal(parsed.value.verdict, 'proved');
    assert.equal(parsed.warnings.length, 1);
  });

  test('an empty proof says what to do', () => {
    assert.match(parseProof('   ').warnings[0]!, /empty; regenerate it or write it yourself/);
  });
});
