import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { createHierarchy, type Hierarchy, type Technique } from '../../src/core/hierarchy.ts';
import {
  acceptLayer,
  alternativesWithCurrent,
  editLayer,
  LayerStateError,
  layerMarkdown,
  markStaleBelow,
  MAX_ALTERNATIVES,
  selectAlternative,
} from '../../src/core/layers.ts';

// HMMT-style statement (DeepTheorem evaluation set, MIT).
const PROBLEM = 'Let $a, b, c$ be positive reals with $a + b + c = 3$. Prove or disprove that $a^2 + b^2 + c^2 \\ge 3$.';
const T0 = new Date('2026-03-01T10:00:00Z');
const T1 = new Date('2026-03-01T11:00:00Z');

const ITEMS: Technique[] = [
  { name: 'QM-AM inequality', kind: 'theorem', detail: '$\\sqrt{(a^2+b^2+c^2)/3} \\ge (a+b+c)/3 = 1$.' },
  { name: 'Sum of squares: expand', kind: 'transformation', detail: 'Write $a^2+b^2+c^2-3 = (a-1)^2+(b-1)^2+(c-1)^2$\nusing $a+b+c=3$.' },
  { name: 'Equality case', kind: 'other', detail: 'Equality exactly when $a=b=c=1$.' },
];

/** A hierarchy whose three layers were generated (drafts), as the pipeline leaves it. */
function generated(): Hierarchy {
  const hierarchy = createHierarchy({ problem: PROBLEM, now: T0 });
  hierarchy.layers.techniques = { status: 'draft', items: ITEMS, raw: '1. QM-AM inequality: …', edited: false, model: 'm1', reasoning: 'think', updatedAt: T0.toISOString() };
  hierarchy.layers.sketch = {
    status: 'accepted',
    steps: [{ text: 'Expand $(a-1)^2+(b-1)^2+(c-1)^2 \\ge 0$.' }, { text: 'Use $a+b+c=3$ to simplify:\n$a^2+b^2+c^2 - 6 + 3 \\ge 0$.' }],
    raw: 'raw sketch',
    edited: false,
    model: 'm2',
    updatedAt: T0.toISOString(),
  };
  hierarchy.layers.proof = { status: 'draft', text: 'Since squares are non-negative, the claim follows.\n\n\\boxed{proved}', verdict: 'proved', raw: 'raw proof', edited: false, model: 'm3' };
  return hierarchy;
}

describe('acceptLayer', () => {
  test('a draft becomes accepted, without touching the input or the other layers', () => {
    const before = generated();
    const snapshot = structuredClone(before);
    const after = acceptLayer(before, 'techniques', T1);
    assert.deepEqual(before, snapshot);
    assert.equal(after.layers.techniques.status, 'accepted');
    assert.equal(after.layers.techniques.updatedAt, T1.toISOString());
    assert.equal(after.updatedAt, T1.toISOString());
    assert.equal(after.layers.sketch, before.layers.sketch, 'other layers are shared, not copied');
    assert.equal(after.layers.proof.status, 'draft', 'accepting does not make anything stale');
  });

  test('a stale layer the person checked can be accepted; an accepted one stays as it is', () => {
    const stale = markStaleBelow(generated(), 'techniques');
    assert.equal(acceptLayer(stale, 'proof').layers.proof.status, 'accepted');
    const hierarchy = generated();
    assert.equal(acceptLayer(hierarchy, 'sketch'), hierarchy);
  });

  test('empty, failed and generating layers cannot be accepted, with a sentence saying why', () => {
    const empty = createHierarchy({ problem: PROBLEM });
    assert.throws(() => acceptLayer(empty, 'sketch'), (error: unknown) => error instanceof LayerStateError && error.message === 'There is no proof sketch to accept yet; generate it first.');
    const failed = generated();
    failed.layers.proof = { ...failed.layers.proof, status: 'failed', error: 'cut' };
    assert.throws(() => acceptLayer(failed, 'proof'), /^LayerStateError: Proof generation failed; regenerate or edit the layer before accepting it\.$/);
    const generating = generated();
    generating.layers.techniques = { ...generating.layers.techniques, status: 'generating' };
    assert.throws(() => acceptLayer(generating, 'techniques'), /The core techniques are still being generated/);
  });
});

describe('markStaleBelow', () => {
  test('only layers below with content become stale', () => {
    const hierarchy = generated();
    hierarchy.layers.proof = { status: 'empty', text: '', verdict: null, raw: '', edited: false };
    const after = markStaleBelow(hierarchy, 'techniques', T1);
    assert.equal(after.layers.techniques.status, 'draft', 'the layer itself is unchanged');
    assert.equal(after.layers.sketch.status, 'stale');
    assert.equal(after.layers.proof.status, 'empty', 'an empty layer stays empty');
    assert.equal(markStaleBelow(generated(), 'sketch').layers.sketch.status, 'accepted', 'layers above are unchanged');
    assert.equal(markStaleBelow(generated(), 'proof').layers.proof.status, 'draft');
  });

  test('a failed layer below stays failed (its error still explains it)', () => {
    const hierarchy = generated();
    hierarchy.layers.proof = { ...hierarchy.layers.proof, status: 'failed', error: 'The connection dropped.' };
    assert.equal(markStaleBelow(hierarchy, 'sketch').layers.proof.status, 'failed');
  });
});

describe('editLayer', () => {
  test('the person\'s techniques become the layer: parsed, edited, accepted, and the layers below stale', () => {
    const markdown = '1. **Cauchy–Schwarz** (theorem): $(1+1+1)(a^2+b^2+c^2) \\ge (a+b+c)^2 = 9$.\n2. **Equality case** (other): when $a=b=c$.\n';
    const after = editLayer(generated(), 'techniques', markdown, T1);
    const layer = after.layers.techniques;
    assert.deepEqual(layer.items, [
      { name: 'Cauchy–Schwarz', kind: 'theorem', detail: '$(1+1+1)(a^2+b^2+c^2) \\ge (a+b+c)^2 = 9$.' },
      { name: 'Equality case', kind: 'other', detail: 'when $a=b=c$.' },
    ]);
    assert.equal(layer.raw, markdown.trim());
    assert.equal(layer.edited, true);
    assert.equal(layer.status, 'accepted');
    assert.equal(layer.model, 'm1', 'provenance: the model whose output was edited');
    assert.equal(layer.reasoning, undefined, 'the reasoning explained the text that was replaced');
    assert.equal(layer.updatedAt, T1.toISOString());
    assert.equal(after.layers.sketch.status, 'stale');
    assert.equal(after.layers.proof.status, 'stale');
    // The generated version is kept.
    assert.equal(layer.alternatives?.length, 1);
    assert.deepEqual(layer.alternatives![0], { items: ITEMS, raw: '1. QM-AM inequality: …', model: 'm1', reasoning: 'think', edited: false, createdAt: T0.toISOString() });
  });

  test('a second edit supersedes the first instead of piling up alternatives', () => {
    const once = editLayer(generated(), 'sketch', '1. Expand the squares.\n2. Simplify.');
    const twice = editLayer(once, 'sketch', '1. Expand the squares.\n2. Simplify with $a+b+c=3$.\n3. Conclude.');
    assert.equal(twice.layers.sketch.steps.length, 3);
    assert.equal(twice.layers.sketch.alternatives?.length, 1, 'only the generated sketch');
    assert.equal(twice.layers.sketch.alternatives![0]!.raw, 'raw sketch');
  });

  test('saving the unchanged document changes nothing', () => {
    const hierarchy = generated();
    for (const stage of ['techniques', 'sketch', 'proof'] as const) {
      assert.equal(editLayer(hierarchy, stage, layerMarkdown(hierarchy, stage)), hierarchy, stage);
      assert.equal(editLayer(hierarchy, stage, `\n${layerMarkdown(hierarchy, stage)}\n\n`), hierarchy, `${stage} with extra blank lines`);
    }
  });

  test('an edited proof gets its verdict from the last boxed answer', () => {
    const after = editLayer(generated(), 'proof', 'Take $a = 3, b = c = 0$... no: all positive.\n\n\\boxed{disproved}\n\nOn reflection the statement holds. \\boxed{proved}');
    assert.equal(after.layers.proof.verdict, 'proved');
    assert.equal(after.layers.proof.edited, true);
  });

  test('text that does not parse into items is kept whole, with a warning', () => {
    const after = editLayer(generated(), 'techniques', 'I think the key is convexity of $x^2$, which gives Jensen directly, nothing more to it');
    const layer = after.layers.techniques;
    assert.equal(layer.items.length, 1);
    assert.ok(layer.items[0]!.detail.includes('convexity of $x^2$'));
  });

  test('an emptied document clears the layer and keeps the old content as an alternative', () => {
    const after = editLayer(generated(), 'proof', '   \n');
    const layer = after.layers.proof;
    assert.equal(layer.status, 'empty');
    assert.equal(layer.edited, false);
    assert.equal(layer.text, '');
    assert.equal(layer.verdict, null);
    assert.equal(layer.alternatives![0]!.text, generated().layers.proof.text);
  });

  test('a failed layer can be fixed by editing its partial text', () => {
    const hierarchy = generated();
    hierarchy.layers.sketch = { status: 'failed', steps: [], raw: '1. Expand the squares.\n2. Simpl', edited: false, error: 'The connection dropped.' };
    const after = editLayer(hierarchy, 'sketch', layerMarkdown(hierarchy, 'sketch').replace('Simpl', 'Simplify.'));
    assert.equal(after.layers.sketch.status, 'accepted');
    assert.equal(after.layers.sketch.error, undefined);
    assert.deepEqual(after.layers.sketch.steps, [{ text: 'Expand the squares.' }, { text: 'Simplify.' }]);
  });

  test('a layer that is being generated cannot be edited', () => {
    const hierarchy = generated();
    hierarchy.layers.proof = { ...hierarchy.layers.proof, status: 'generating' };
    assert.throws(() => editLayer(hierarchy, 'proof', 'x'), LayerStateError);
  });
});

describe('selectAlternative', () => {
  function withAlternative(): Hierarchy {
    return editLayer(generated(), 'techniques', '1. **Cauchy–Schwarz** (theorem): with $(1,1,1)$.', T1);
  }

  test('swaps the current content with the chosen alternative; switching back restores it', () => {
    const edited = withAlternative();
    const switched = selectAlternative(edited, 'techniques', 0, T1);
    assert.deepEqual(switched.layers.techniques.items, ITEMS);
    assert.equal(switched.layers.techniques.status, 'draft', 'a generated alternative is a draft again');
    assert.equal(switched.layers.techniques.edited, false);
    assert.equal(switched.layers.techniques.alternatives!.length, 1);
    assert.equal(switched.layers.techniques.alternatives![0]!.edited, true);
    const back = selectAlternative(switched, 'techniques', 0, T1);
    assert.deepEqual(back.layers.techniques.items, edited.layers.techniques.items);
    assert.equal(back.layers.techniques.status, 'accepted', 'the person\'s own edit comes back accepted');
    assert.equal(back.layers.techniques.edited, true);
  });

  test('marks the layers below stale', () => {
    const hierarchy = acceptLayer(generated(), 'proof');
    const withAlt = { ...hierarchy, layers: { ...hierarchy.layers, sketch: { ...hierarchy.layers.sketch, alternatives: [{ steps: [{ text: 'Other plan.' }], raw: 'Other plan.', edited: false, createdAt: T0.toISOString() }] } } };
    const after = selectAlternative(withAlt, 'sketch', 0);
    assert.deepEqual(after.layers.sketch.steps, [{ text: 'Other plan.' }]);
    assert.equal(after.layers.proof.status, 'stale');
  });

  test('from an empty layer the alternative is taken out of the list', () => {
    const cleared = editLayer(generated(), 'proof', '');
    const restored = selectAlternative(cleared, 'proof', 0);
    assert.equal(restored.layers.proof.text, generated().layers.proof.text);
    assert.equal(restored.layers.proof.alternatives, undefined);
  });

  test('an index that does not exist is refused with a sentence', () => {
    assert.throws(() => selectAlternative(withAlternative(), 'techniques', 3), /^LayerStateError: There is no earlier version number 4 of the core techniques; pick one of the 1 listed\.$/);
    assert.throws(() => selectAlternative(generated(), 'proof', 0), LayerStateError);
  });
});

describe('alternatives', () => {
  test(`at most ${MAX_ALTERNATIVES} are kept, the oldest dropped first`, () => {
    let layer = generated().layers.sketch;
    for (let index = 0; index < MAX_ALTERNATIVES + 3; index += 1) {
      layer = { ...layer, steps: [{ text: `Plan ${index}.` }], raw: `Plan ${index}.`, alternatives: alternativesWithCurrent(layer) };
    }
    const kept = layer.alternatives!;
    assert.equal(kept.length, MAX_ALTERNATIVES);
    assert.equal(kept.at(-1)!.raw, `Plan ${MAX_ALTERNATIVES + 1}.`);
    assert.equal(kept[0]!.raw, 'Plan 2.');
  });

  test('an empty layer adds nothing', () => {
    assert.deepEqual(alternativesWithCurrent(createHierarchy({ problem: PROBLEM }).layers.proof), []);
  });
});

describe('layerMarkdown', () => {
  test('writes techniques as a numbered list with bold names and kinds, sketch steps numbered, the proof as text', () => {
    const hierarchy = generated();
    assert.equal(
      layerMarkdown(hierarchy, 'techniques'),
      [
        '1. **QM-AM inequality** (theorem): $\\sqrt{(a^2+b^2+c^2)/3} \\ge (a+b+c)/3 = 1$.',
        '2. **Sum of squares: expand** (transformation): Write $a^2+b^2+c^2-3 = (a-1)^2+(b-1)^2+(c-1)^2$',
        '   using $a+b+c=3$.',
        '3. **Equality case** (other): Equality exactly when $a=b=c=1$.',
        '',
      ].join('\n'),
    );
    assert.equal(layerMarkdown(hierarchy, 'sketch'), '1. Expand $(a-1)^2+(b-1)^2+(c-1)^2 \\ge 0$.\n2. Use $a+b+c=3$ to simplify:\n   $a^2+b^2+c^2 - 6 + 3 \\ge 0$.\n');
    assert.equal(layerMarkdown(hierarchy, 'proof'), 'Since squares are non-negative, the claim follows.\n\n\\boxed{proved}\n');
    assert.equal(layerMarkdown(createHierarchy({ problem: PROBLEM }), 'techniques'), '');
  });

  test('a verdict missing from the proof text is written out so it survives the round trip', () => {
    const hierarchy = generated();
    hierarchy.layers.proof = { ...hierarchy.layers.proof, text: 'The claim follows.', verdict: 'disproved' };
    assert.equal(layerMarkdown(hierarchy, 'proof'), 'The claim follows.\n\n\\boxed{disproved}\n');
  });

  test('output that did not parse cleanly is offered as it came', () => {
    const hierarchy = generated();
    hierarchy.layers.techniques = { ...hierarchy.layers.techniques, raw: '{"techniques": [broken', items: [{ name: 'x', kind: 'other', detail: '{"techniques": [broken' }], warnings: ['Could not parse.'] };
    assert.equal(layerMarkdown(hierarchy, 'techniques'), '{"techniques": [broken\n');
  });

  test('editLayer(layerMarkdown) gives back the same items, steps and proof', () => {
    const hierarchy = generated();
    for (const stage of ['techniques', 'sketch', 'proof'] as const) {
      // Force a real parse (an unchanged save is a no-op) by editing a copy whose layer differs.
      const markdown = layerMarkdown(hierarchy, stage);
      const reparsed = editLayer(createHierarchy({ problem: PROBLEM }), stage, markdown).layers;
      const original = hierarchy.layers;
      if (stage === 'techniques') assert.deepEqual(reparsed.techniques.items, original.techniques.items);
      if (stage === 'sketch') assert.deepEqual(reparsed.sketch.steps, original.sketch.steps);
      if (stage === 'proof') assert.deepEqual([reparsed.proof.text, reparsed.proof.verdict], [original.proof.text, original.proof.verdict]);
    }
  });

  test('round trip holds for generated techniques and steps (property)', () => {
    const word = fc.stringMatching(/^[A-Za-z][a-z]{0,8}$/);
    const math = fc.constantFrom('$x^2 \\ge 0$', '$a_{n+1} = a_n + 1$', '$\\frac{1}{2}$', '$n!$', '$f: \\mathbb{R} \\to \\mathbb{R}$');
    const phrase = fc.array(fc.oneof(word, math), { minLength: 1, maxLength: 8 }).map((parts) => parts.join(' '));
    const name = fc.array(word, { minLength: 1, maxLength: 4 }).map((parts) => parts.join(' '));
    const technique = fc.record({ name, kind: fc.constantFrom('construction', 'theorem', 'transformation', 'other' as const), detail: phrase });
    const step = fc.record({ text: phrase });
    fc.assert(
      fc.property(fc.array(technique, { minLength: 1, maxLength: 6 }), fc.array(step, { minLength: 1, maxLength: 6 }), (items, steps) => {
        const hierarchy = createHierarchy({ problem: PROBLEM });
        hierarchy.layers.techniques = { status: 'draft', items, raw: 'model text', edited: false };
        hierarchy.layers.sketch = { status: 'draft', steps, raw: 'model text', edited: false };
        // Parsed into an empty hierarchy: saving the unchanged text over the same layer would be a no-op.
        const target = createHierarchy({ problem: PROBLEM });
        const techniques = editLayer(target, 'techniques', layerMarkdown(hierarchy, 'techniques')).layers.techniques;
        const sketch = editLayer(target, 'sketch', layerMarkdown(hierarchy, 'sketch')).layers.sketch;
        assert.deepEqual(techniques.items, items.map((item) => ({ name: item.name, kind: item.kind, detail: item.detail })));
        assert.deepEqual(sketch.steps, steps.map((entry) => ({ text: entry.text })));
        assert.deepEqual([techniques.warnings, sketch.warnings], [undefined, undefined]);
      }),
      { numRuns: 200 },
    );
  });
});
