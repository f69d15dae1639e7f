import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { compactJson, RawJson, rawValueAt, stringifyJson } from '../../src/result/raw-json.js';

const DOCUMENT = '{ "seed": 12345678901234567891, "run_id": 9007199254740993, "lr": 1e-400 }\n';

describe('RawJson and stringifyJson', () => {
  it('splices the document digit for digit, at any depth and indentation', () => {
    const raw = new RawJson(DOCUMENT);
    const compact = '{"seed":12345678901234567891,"run_id":9007199254740993,"lr":1e-400}';
    assert.equal(stringifyJson({ value: raw }), `{"value":${compact}}`);
    assert.equal(stringifyJson(raw), compact);
    assert.equal(stringifyJson([{ a: raw }, raw], 2).split(compact).length, 3);
    // Plain JSON.stringify still gives valid JSON (the parsed value).
    assert.deepEqual(JSON.parse(JSON.stringify({ v: raw })), {
      v: JSON.parse(DOCUMENT) as unknown,
    });
  });

  it('leaves strings that look like its placeholder alone', () => {
    const text = stringifyJson({ s: '\u0000konduktor-raw-x-0', v: new RawJson('1') });
    assert.deepEqual(JSON.parse(text), { s: '\u0000konduktor-raw-x-0', v: 1 });
  });

  it('compacts only outside strings', () => {
    assert.equal(compactJson(' [ 1 ,\n "a  \\" b" , { "k" :\t2 } ] '), '[1,"a  \\" b",{"k":2}]');
  });

  it('finds the text of a value by path', () => {
    const text = '{"a": {"b": [1, 2.50, {"c": 1e999}]}, "a.b": -0.0, "d": 1, "d": 2}';
    assert.equal(rawValueAt(text, ['a', 'b', 2, 'c']), '1e999');
    assert.equal(rawValueAt(text, ['a', 'b', 1]), '2.50');
    assert.equal(rawValueAt(text, ['a.b']), '-0.0');
    assert.equal(rawValueAt(text, ['d']), '2');
    assert.equal(rawValueAt(text, ['a', 'x']), undefined);
    assert.equal(rawValueAt(text, ['a', 'b', 3]), undefined);
  });
});
