import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { createHierarchy, LAYER_STAGES, stageAfter, stagesBelow } from '../../src/core/hierarchy.ts';
import { HIERARCHY_SCHEMA_ID, HierarchyFormatError, hierarchyJsonSchema, parseHierarchy } from '../../src/core/schema.ts';

describe('hierarchy data model', () => {
  test('a new hierarchy has the DESIGN.md shape with three empty layers', () => {
    const hierarchy = createHierarchy({ problem: 'For every $n \\ge 1$, $n^2 \\ge n$.', now: new Date('2026-01-02T03:04:05Z') });
    assert.equal(hierarchy.schema, HIERARCHY_SCHEMA_ID);
    assert.match(hierarchy.id, /^ip-[0-9a-f]{12}$/);
    assert.deepEqual(Object.keys(hierarchy.layers), ['techniques', 'sketch', 'proof']);
    assert.deepEqual(hierarchy.layers.techniques, { status: 'empty', items: [], raw: '', edited: false });
    assert.deepEqual(hierarchy.layers.sketch, { status: 'empty', steps: [], raw: '', edited: false });
    assert.deepEqual(hierarchy.layers.proof, { status: 'empty', text: '', verdict: null, raw: '', edited: false });
    assert.equal(hierarchy.createdAt, '2026-01-02T03:04:05.000Z');
    assert.equal(hierarchy.updatedAt, hierarchy.createdAt);
  });

  test('ids are unique', () => {
    const ids = new Set(Array.from({ length: 200 }, () => createHierarchy({ problem: 'p' }).id));
    assert.equal(ids.size, 200);
  });

  test('a hierarchy survives JSON and validation unchanged', () => {
    const hierarchy = createHierarchy({ problem: 'p', source: { uri: 'file:///notes.md', startLine: 3, endLine: 5 }, input: { problem_name: 'x', answer: true } });
    hierarchy.layers.techniques = { status: 'accepted', items: [{ name: 'Pigeonhole principle', kind: 'theorem', detail: 'Five points, four quadrants.' }], raw: '1. Pigeonhole', edited: true, model: 'm' };
    hierarchy.review = { score: 0.9, validity: 1, completeness: 1, correctness: 0.5, clarity: 1, explanation: 'ok' };
    assert.deepEqual(parseHierarchy(JSON.parse(JSON.stringify(hierarchy))), hierarchy);
  });

  test('invalid input is rejected with a sentence naming the field', () => {
    const broken = { ...createHierarchy({ problem: 'p' }), layers: { techniques: { status: 'done' } } };
    assert.throws(() => parseHierarchy(broken, 'file notes.json'), (error: unknown) => {
      assert.ok(error instanceof HierarchyFormatError);
      assert.match(error.message, /^The file notes\.json is not an Insight Proof hierarchy \(layers\.techniques\.status/);
      return true;
    });
    assert.throws(() => parseHierarchy({ schema: 'other/v9' }), HierarchyFormatError);
  });

  test('the JSON Schema is generated from the zod schema and names the fixed fields', () => {
    const schema = hierarchyJsonSchema() as { properties: Record<string, { properties?: Record<string, unknown> }>; required: string[] };
    assert.deepEqual(schema.required.sort(), ['createdAt', 'id', 'layers', 'problem', 'schema', 'updatedAt']);
    const layers = schema.properties.layers?.properties as Record<string, { properties: Record<string, unknown> }>;
    assert.deepEqual(Object.keys(layers), ['techniques', 'sketch', 'proof']);
    for (const field of ['status', 'raw', 'edited', 'model']) assert.ok(field in layers.techniques!.properties, field);
    assert.ok('items' in layers.techniques!.properties);
    assert.ok('steps' in layers.sketch!.properties);
    assert.ok('verdict' in layers.proof!.properties);
    assert.ok(schema.properties.review);
  });

  test('stage order: each layer is conditioned on the ones above', () => {
    assert.deepEqual([...LAYER_STAGES], ['techniques', 'sketch', 'proof']);
    assert.equal(stageAfter('techniques'), 'sketch');
    assert.equal(stageAfter('proof'), undefined);
    assert.deepEqual(stagesBelow('techniques'), ['sketch', 'proof']);
    assert.deepEqual(stagesBelow('proof'), []);
  });
});
