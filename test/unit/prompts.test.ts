import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import * as z from 'zod/mini';
import { createHierarchy, type Hierarchy } from '../../src/core/hierarchy.ts';
import {
  buildStageMessages,
  deepInsightAnswer,
  deepInsightMessages,
  DEFAULT_TEMPLATES,
  fillTemplate,
  formatTechniques,
  GUIDANCE_HEADING,
  stageJsonSchema,
  VERDICT_INSTRUCTION,
} from '../../src/core/prompts.ts';
import { SketchStepSchema, TechniqueSchema } from '../../src/core/schema.ts';

// FIMO 2006 algebra p1 (DeepTheorem evaluation set, MIT).
const PROBLEM = [
  'A sequence of real numbers $a_{0}, a_{1}, a_{2}, \\ldots$ is defined by the formula',
  '',
  '$$',
  'a_{i+1}=\\left\\lfloor a_{i}\\right\\rfloor \\cdot\\left\\langle a_{i}\\right\\rangle \\quad \\text { for } \\quad i \\geq 0 ;',
  '$$',
  '',
  'here $a_{0}$ is an arbitrary real number. Prove or disprove that $a_{i}=a_{i+2}$ for $i$ sufficiently large.',
].join('\n');

function withLayers(): Hierarchy {
  const hierarchy = createHierarchy({ problem: PROBLEM, now: new Date('2026-01-01T00:00:00Z') });
  hierarchy.layers.techniques = {
    status: 'accepted',
    edited: true,
    raw: '',
    items: [
      { name: 'Sign split', kind: 'transformation', detail: 'Treat $a_0 \\ge 0$ and $a_0 < 0$ separately.' },
      { name: 'Monotone bounded sequences', kind: 'theorem', detail: 'For $a_i \\ge 0$ the floor is non-increasing,\nso it stabilises.' },
      { name: 'Fixed point $-1/2$', kind: 'construction', detail: 'Show the sequence reaches the 2-cycle through $-1/2$.' },
    ],
  };
  hierarchy.layers.sketch = {
    status: 'draft',
    edited: false,
    raw: '',
    steps: [
      { text: 'If $a_0 \\ge 0$, then $\\lfloor a_i \\rfloor$ is non-increasing and eventually $0$.' },
      { text: 'If $a_0 < 0$, show $\\lfloor a_i \\rfloor \\le -1$ stays bounded.' },
      { text: 'Conclude the sequence is eventually periodic with period dividing 2.' },
    ],
  };
  hierarchy.layers.proof = { status: 'draft', edited: false, raw: '', text: 'Proof text \\boxed{proved}', verdict: 'proved' };
  return hierarchy;
}

function userText(messages: { role: string; content: string }[]): string {
  const user = messages.filter((message) => message.role === 'user');
  assert.equal(user.length, 1, 'one user message per request');
  return user[0]!.content;
}

describe('prompts: conditioning on the layers above', () => {
  for (const preset of ['deepinsight', 'instruct'] as const) {
    test(`${preset}: the sketch prompt carries the problem and every technique's name and detail`, () => {
      const hierarchy = withLayers();
      const prompt = userText(buildStageMessages('sketch', hierarchy, { preset }).messages);
      assert.ok(prompt.includes(PROBLEM), 'the whole problem statement');
      for (const item of hierarchy.layers.techniques.items) {
        assert.ok(prompt.includes(item.name), `technique name ${item.name}`);
        for (const line of item.detail.split('\n')) assert.ok(prompt.includes(line.trim()), `technique detail line ${line}`);
      }
      assert.ok(!prompt.includes('Proof text'), 'the proof is not part of the sketch prompt');
    });

    test(`${preset}: the proof prompt carries every technique and every sketch step`, () => {
      const hierarchy = withLayers();
      const prompt = userText(buildStageMessages('proof', hierarchy, { preset }).messages);
      for (const item of hierarchy.layers.techniques.items) assert.ok(prompt.includes(item.name) && prompt.includes(item.detail.split('\n')[0]!));
      for (const step of hierarchy.layers.sketch.steps) assert.ok(prompt.includes(step.text), `step ${step.text}`);
      // Steps keep their order.
      const positions = hierarchy.layers.sketch.steps.map((step) => prompt.indexOf(step.text));
      assert.deepEqual([...positions].sort((a, b) => a - b), positions);
    });

    test(`${preset}: the techniques prompt carries the problem and nothing of the lower layers`, () => {
      const prompt = userText(buildStageMessages('techniques', withLayers(), { preset }).messages);
      assert.ok(prompt.includes(PROBLEM));
      assert.ok(!prompt.includes('Sign split') && !prompt.includes('non-increasing and eventually'));
    });
  }

  test('a multi-line technique detail stays inside its numbered item', () => {
    const text = formatTechniques(withLayers().layers.techniques.items);
    assert.equal(
      text,
      [
        '1. Sign split: Treat $a_0 \\ge 0$ and $a_0 < 0$ separately.',
        '2. Monotone bounded sequences: For $a_i \\ge 0$ the floor is non-increasing,',
        '   so it stabilises.',
        '3. Fixed point $-1/2$: Show the sequence reaches the 2-cycle through $-1/2$.',
      ].join('\n'),
    );
  });

  test('prove-or-disprove problems ask for a boxed verdict in the proof stage only', () => {
    const hierarchy = withLayers();
    assert.ok(userText(buildStageMessages('proof', hierarchy, { preset: 'deepinsight' }).messages).endsWith(VERDICT_INSTRUCTION));
    assert.ok(!userText(buildStageMessages('sketch', hierarchy, { preset: 'deepinsight' }).messages).includes('boxed'));
    const plain = { ...hierarchy, problem: 'Prove that $\\sqrt 2$ is irrational.' };
    assert.ok(!userText(buildStageMessages('proof', plain, { preset: 'deepinsight' }).messages).includes('\\boxed'));
  });
});

describe('prompts: presets', () => {
  test('deepinsight sends a single short user message and no JSON schema', () => {
    for (const stage of ['techniques', 'sketch', 'proof'] as const) {
      const prompt = buildStageMessages(stage, withLayers(), { preset: 'deepinsight' });
      assert.equal(prompt.messages.length, 1);
      assert.equal(prompt.messages[0]!.role, 'user');
      assert.equal(prompt.jsonSchema, undefined);
    }
  });

  test('deepinsight techniques prompt asks for the "Name: detail" numbered list', () => {
    const prompt = userText(deepInsightMessages('techniques', withLayers()));
    assert.match(prompt, /numbered list/);
    assert.match(prompt, /"Name: how it applies here"/);
  });

  test('instruct explains the insight-first method in a system prompt for every stage', () => {
    for (const stage of ['techniques', 'sketch', 'proof'] as const) {
      const [system] = buildStageMessages(stage, withLayers(), { preset: 'instruct' }).messages;
      assert.equal(system!.role, 'system');
      assert.match(system!.content, /core techniques/i);
      assert.match(system!.content, /construction/);
      assert.match(system!.content, /theorem to call/);
      assert.match(system!.content, /transformation/);
    }
  });

  test('instruct asks for JSON following schemas generated from the zod schemas (techniques and sketch)', () => {
    const techniques = buildStageMessages('techniques', withLayers(), { preset: 'instruct' });
    assert.equal(techniques.jsonSchema?.name, 'core_techniques');
    const schema = techniques.jsonSchema!.schema as { type: string; required: string[]; properties: { techniques: { items: { required: string[]; properties: { kind: { enum: string[] } } } } } };
    assert.equal(schema.type, 'object');
    assert.deepEqual(schema.required, ['techniques']);
    assert.deepEqual([...schema.properties.techniques.items.required].sort(), ['detail', 'kind', 'name']);
    assert.deepEqual(schema.properties.techniques.items.properties.kind.enum, ['construction', 'theorem', 'transformation', 'other']);
    assert.equal('$schema' in schema, false);
    // Exactly what zod derives, minus the meta-schema URI.
    const { $schema: _meta, ...expected } = z.toJSONSchema(z.object({ techniques: z.array(TechniqueSchema) }));
    assert.deepEqual(schema, expected);

    const sketch = buildStageMessages('sketch', withLayers(), { preset: 'instruct' });
    const { $schema: _sketchMeta, ...sketchExpected } = z.toJSONSchema(z.object({ steps: z.array(SketchStepSchema) }));
    assert.deepEqual(sketch.jsonSchema, { name: 'proof_sketch', schema: sketchExpected });
    assert.match(userText(sketch.messages) + sketch.messages[0]!.content, /"steps"/);

    assert.equal(buildStageMessages('proof', withLayers(), { preset: 'instruct' }).jsonSchema, undefined);
  });

  test('the JSON schema handed out can be changed by the caller without affecting later prompts', () => {
    const first = stageJsonSchema('techniques')!;
    (first.schema as Record<string, unknown>).type = 'array';
    assert.equal(stageJsonSchema('techniques')!.schema.type, 'object');
  });

  test('building prompts does not change the hierarchy', () => {
    const hierarchy = withLayers();
    const before = structuredClone(hierarchy);
    for (const preset of ['deepinsight', 'instruct'] as const) {
      for (const stage of ['techniques', 'sketch', 'proof'] as const) buildStageMessages(stage, hierarchy, { preset, guidance: 'note' });
    }
    assert.deepEqual(hierarchy, before);
  });

  test('deepInsightAnswer writes layers the way deepinsight answers are asked for', () => {
    const hierarchy = withLayers();
    assert.match(deepInsightAnswer('techniques', hierarchy), /^1\. Sign split: Treat/);
    assert.match(deepInsightAnswer('sketch', hierarchy), /^1\. If \$a_0 \\ge 0\$.*\n2\. If \$a_0 < 0\$/);
    assert.equal(deepInsightAnswer('proof', hierarchy), 'Proof text \\boxed{proved}');
  });
});

describe('prompts: guidance and templates', () => {
  test('guidance is appended as its own labelled paragraph, for either preset', () => {
    for (const preset of ['deepinsight', 'instruct'] as const) {
      const prompt = userText(buildStageMessages('sketch', withLayers(), { preset, guidance: '  Use induction on $i$.  ' }).messages);
      assert.ok(prompt.endsWith(`\n\n${GUIDANCE_HEADING}\nUse induction on $i$.`), prompt);
    }
    const without = userText(buildStageMessages('sketch', withLayers(), { preset: 'deepinsight' }).messages);
    assert.ok(!without.includes(GUIDANCE_HEADING));
  });

  test('user templates replace the defaults and fill every placeholder', () => {
    const templates = {
      system: { proof: 'You are a careful prover. {{guidance}}' },
      user: { proof: 'P={{problem}}|T={{techniques}}|S={{sketch}}|G={{ guidance }}|X={{unknown}}|V={{verdictInstruction}}' },
    };
    const hierarchy = withLayers();
    const { messages } = buildStageMessages('proof', hierarchy, { preset: 'deepinsight', templates, guidance: 'Be brief.' });
    assert.deepEqual(messages[0], { role: 'system', content: 'You are a careful prover. Be brief.' });
    const user = userText(messages);
    assert.ok(user.startsWith(`P=${PROBLEM}|T=1. Sign split: Treat`));
    assert.ok(user.includes('|S=1. If $a_0 \\ge 0$'));
    assert.ok(user.includes('|G=Be brief.|X={{unknown}}|V= End with \\boxed{proved}'));
    // The template placed the guidance itself: it is not appended a second time.
    assert.ok(!user.includes(GUIDANCE_HEADING));
    // Stages without an override keep their defaults.
    assert.equal(userText(buildStageMessages('sketch', hierarchy, { preset: 'deepinsight', templates }).messages).split('\n')[0], 'Problem:');
  });

  test('a user template without {{guidance}} still gets the note appended', () => {
    const { messages } = buildStageMessages('techniques', withLayers(), { preset: 'deepinsight', templates: { user: { techniques: 'Key ideas for: {{problem}}' } }, guidance: 'Think about parity.' });
    assert.ok(userText(messages).endsWith(`${GUIDANCE_HEADING}\nThink about parity.`));
  });

  test('text substituted into a template is never expanded again', () => {
    const hierarchy = { ...withLayers(), problem: 'Show {{sketch}} is literal.' };
    const prompt = userText(buildStageMessages('proof', hierarchy, { preset: 'deepinsight' }).messages);
    assert.ok(prompt.includes('Show {{sketch}} is literal.'));
  });

  test('templates admit the review stage', () => {
    assert.equal(fillTemplate('Proof: {{proof}}', { proof: 'QED' }), 'Proof: QED');
    const templates = { user: { review: 'Judge {{proof}}' } };
    // A review template does not disturb the layer stages.
    assert.equal(userText(buildStageMessages('proof', withLayers(), { preset: 'instruct', templates }).messages).split('\n')[0], 'Problem:');
  });

  test('every default template mentions only documented placeholders', () => {
    for (const preset of Object.values(DEFAULT_TEMPLATES)) {
      for (const stage of Object.values(preset)) {
        for (const text of [stage.system ?? '', stage.user]) {
          for (const [, name] of text.matchAll(/\{\{\s*(\w+)\s*\}\}/g)) {
            assert.ok(['problem', 'techniques', 'sketch', 'proof', 'guidance', 'verdictInstruction'].includes(name!), name);
          }
        }
      }
    }
  });
});
