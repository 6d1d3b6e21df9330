/**
 * `unihetero-sample roundtrip "<caption>" ...`: text -> generated semantic tokens -> text (the
 * paper's Figure 7; docs/method.md 11). The MAR loop produces the image span's input embeddings
 * without the pixel decoder, the understanding path captions them, and both texts are parsed
 * with `world.parseCaption` to compare their objects (a checkpoint trained on `--data DIR` has no
 * scene parser: its texts are compared word for word). Options that only shape pixels (flow
 * temperature, guidance, flow sampler) do not change the semantic tokens and are not offered.
 */
import { roundTrip, type TextTokenizer } from '@unihetero/model';
import type { SampleIO } from '../io.js';
import { describeObject, encodeText, objectsRecovered, parseObjects, sameObjects } from '../inputs.js';
import { startProgress } from '../progress.js';
import { closeSession, contextOf, openSession, vocabularyOf } from '../session.js';
import { checkContext, checkMaxTokens, checkSteps, semanticOptions, type CommonOptions, type SemanticFlags } from './common.js';

/** Options of `roundtrip`. */
export interface RoundTripCommandOptions extends CommonOptions, SemanticFlags {
  captions: string[];
  /** Most tokens of the returned text (default 48). */
  maxTokens: number;
}

/** One round trip. */
export interface RoundTripResult {
  caption: string;
  roundTrip: string;
  /** Same objects (every attribute) on both sides; null when the input caption does not parse. For a `--data` checkpoint: the same text, word for word. */
  match: boolean | null;
  /** Input objects found again (null when the input does not parse). */
  recovered: number | null;
  objects: number | null;
  /** Why a side did not parse, if one did not. */
  note?: string;
}

/** Round-trip every caption; each draws from `new Generator(seed)`, independent of the others. */
export async function runRoundTrip(o: RoundTripCommandOptions, io: SampleIO): Promise<RoundTripResult[]> {
  const s = await openSession(o.checkpoint, o.backend, io);
  try {
    checkSteps(o.steps, s.model.numVisualTokens);
    const ctx = contextOf(s);
    checkMaxTokens(ctx, o.maxTokens);
    // <bos> caption <boi> image: checked before any work (the attention cost grows with the square of the length).
    o.captions.forEach((c, i) => checkContext(ctx, `caption ${i + 1}`, encodeText(s.model.tokenizer, c, `caption ${i + 1}`, vocabularyOf(s)).length, 2));
    const results: RoundTripResult[] = [];
    const progress = startProgress(io, 'roundtrip', 'captions', o.captions.length);
    for (const caption of o.captions) {
      const [text] = await roundTrip(s.model, [caption], { ...semanticOptions(o, o.seed), maxCaptionTokens: o.maxTokens });
      results.push(s.world === null ? compareWords(s.model.tokenizer, caption, text!) : compare(s.world, caption, text!));
      progress.tick();
    }
    progress.stop();
    results.forEach((r, i) => {
      if (i > 0) io.out('');
      io.out(`caption:    ${r.caption}`);
      io.out(`round trip: ${r.roundTrip}`);
      const counts = r.objects === null ? '' : ` (${r.recovered}/${r.objects} objects recovered)`;
      io.out(`${s.world === null ? 'text match' : 'objects match'}: ${r.match === null ? 'n/a' : r.match ? 'yes' : 'no'}${counts}${r.note ? `; ${r.note}` : ''}`);
    });
    const scored = results.filter((r) => r.match !== null);
    io.out('');
    io.out(`round trip: ${scored.filter((r) => r.match).length}/${scored.length} captions came back ${s.world === null ? 'word for word' : 'with exactly their objects'}`);
    return results;
  } finally {
    closeSession(s);
  }
}

function compare(world: Parameters<typeof parseObjects>[0], caption: string, text: string): RoundTripResult {
  const truth = parseObjects(world, caption);
  if ('error' in truth) return { caption, roundTrip: text, match: null, recovered: null, objects: null, note: `the input caption does not parse (${truth.error})` };
  const found = parseObjects(world, text);
  if ('error' in found) return { caption, roundTrip: text, match: false, recovered: 0, objects: truth.objects.length, note: `the round-trip text does not parse (${found.error})` };
  const match = sameObjects(truth.objects, found.objects);
  const recovered = objectsRecovered(truth.objects, found.objects);
  const note = match ? undefined : `input: ${truth.objects.map(describeObject).join(', ')}; round trip: ${found.objects.map(describeObject).join(', ') || 'no objects'}`;
  return { caption, roundTrip: text, match, recovered, objects: truth.objects.length, ...(note ? { note } : {}) };
}

/** A round trip of a checkpoint without a scene parser (`--data`): the texts compared as the tokenizer writes them. */
function compareWords(tokenizer: TextTokenizer, caption: string, text: string): RoundTripResult {
  const written = tokenizer.decode(tokenizer.encode(caption), { skipSpecial: true });
  return { caption, roundTrip: text, match: written === text, recovered: null, objects: null };
}
