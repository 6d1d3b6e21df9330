import { describe, expect, it } from 'vitest';
import { Footnotes, parseTable, renderTable } from '../src/table.js';

describe('renderTable', () => {
  it('renders an aligned pipe table that parses back', () => {
    const text = renderTable(['size', 'ours', 'ours/x'], [['128', '1.50', '2.00x'], ['1024', 'n/a [1]', 'n/a']]);
    expect(text.split('\n')).toEqual([
      '| size |    ours | ours/x |',
      '|------|--------:|-------:|',
      '| 128  |    1.50 |  2.00x |',
      '| 1024 | n/a [1] |    n/a |',
    ]);
    expect(parseTable(text)).toEqual({ headers: ['size', 'ours', 'ours/x'], rows: [['128', '1.50', '2.00x'], ['1024', 'n/a [1]', 'n/a']] });
  });
  it('rejects rows of the wrong width', () => {
    expect(() => renderTable(['a', 'b'], [['1']])).toThrow('renderTable: row has 1 cells, header has 2');
  });
});

describe('Footnotes', () => {
  it('numbers notes and reuses the marker of a repeated note', () => {
    const f = new Footnotes();
    expect(f.add('x failed')).toBe('[1]');
    expect(f.add('y failed')).toBe('[2]');
    expect(f.add('x failed')).toBe('[1]');
    expect(f.lines()).toEqual(['[1] x failed', '[2] y failed']);
    expect(f.size).toBe(2);
  });
});
