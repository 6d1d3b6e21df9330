/**
 * Object recall of captions parsed back into objects (the caption accuracy and the round trip),
 * with the breakdown that says *why* objects were missed: recall per number of objects in the
 * scene, and for every missed object the attribute in which it differs from the closest object the
 * caption does name. A captioner that names the right objects but binds their positions to the
 * wrong ones shows as `position` misses in the two- and three-object rows; one that drops an
 * object shows as `absent`.
 */
import type { SceneObject } from '@unihetero/data';

/** Missed objects by the attribute that differs from the closest named object (one object may count under several). */
export interface ObjectMisses {
  position: number;
  colour: number;
  shape: number;
  size: number;
  /** No named object shares two or more attributes with it (dropped, or the caption did not parse). */
  absent: number;
}

/** Object recall over a set of scenes, with its breakdown. */
export interface ObjectRecallSummary {
  /** Number of scenes. */
  count: number;
  /** Mean over scenes of the fraction of the scene's objects named with every attribute. */
  objectRecall: number;
  /** Fraction of scenes whose caption names exactly the scene's objects. */
  exact: number;
  /** Fraction of captions that did not parse. */
  unparsable: number;
  /** Per number of objects in the scene: how many scenes and their mean object recall. */
  byObjectCount: Record<number, { scenes: number; objectRecall: number }>;
  /** Objects missed, by reason. */
  misses: ObjectMisses;
}

const sameCell = (a: SceneObject, b: SceneObject) => a.cell.row === b.cell.row && a.cell.col === b.cell.col;

/** Attributes two objects share (shape, colour, size, cell): 0..4. */
function sharedAttributes(a: SceneObject, b: SceneObject): number {
  return Number(a.shape === b.shape) + Number(a.colour === b.colour) + Number(a.size === b.size) + Number(sameCell(a, b));
}

/** Objects equal in every attribute. */
export function sameObject(a: SceneObject, b: SceneObject): boolean {
  return sharedAttributes(a, b) === 4;
}

/** Accumulates scenes' true objects against the objects their captions name (null: unparsable). */
export class ObjectRecallTally {
  private scenes = 0;
  private recallSum = 0;
  private exactCount = 0;
  private badCount = 0;
  private readonly perCount = new Map<number, { scenes: number; recallSum: number }>();
  private readonly missed: ObjectMisses = { position: 0, colour: 0, shape: 0, size: 0, absent: 0 };

  /** Add one scene; returns its object recall and whether the caption named exactly its objects. */
  add(truth: readonly SceneObject[], found: readonly SceneObject[] | null): { recall: number; exact: boolean } {
    if (truth.length === 0) throw new Error('ObjectRecallTally.add: a scene without objects has no object recall');
    let hit = 0;
    for (const t of truth) {
      if (found?.some((f) => sameObject(t, f))) {
        hit++;
        continue;
      }
      this.countMiss(t, found ?? []);
    }
    const recall = hit / truth.length;
    const exact = found !== null && hit === truth.length && found.length === truth.length;
    this.scenes++;
    this.recallSum += recall;
    this.exactCount += exact ? 1 : 0;
    this.badCount += found === null ? 1 : 0;
    const row = this.perCount.get(truth.length) ?? { scenes: 0, recallSum: 0 };
    row.scenes++;
    row.recallSum += recall;
    this.perCount.set(truth.length, row);
    return { recall, exact };
  }

  /** The closest named object (most shared attributes, first on ties) decides the reason of a miss. */
  private countMiss(t: SceneObject, found: readonly SceneObject[]): void {
    let best: SceneObject | undefined;
    let shared = -1;
    for (const f of found) {
      const s = sharedAttributes(t, f);
      if (s > shared) {
        shared = s;
        best = f;
      }
    }
    if (!best || shared < 2) {
      this.missed.absent++;
      return;
    }
    if (best.shape !== t.shape) this.missed.shape++;
    if (best.colour !== t.colour) this.missed.colour++;
    if (best.size !== t.size) this.missed.size++;
    if (!sameCell(best, t)) this.missed.position++;
  }

  /** The totals so far (zeros before the first scene). */
  summary(): ObjectRecallSummary {
    const n = Math.max(1, this.scenes);
    const byObjectCount: ObjectRecallSummary['byObjectCount'] = {};
    for (const [k, r] of [...this.perCount.entries()].sort((a, b) => a[0] - b[0])) byObjectCount[k] = { scenes: r.scenes, objectRecall: r.recallSum / r.scenes };
    return { count: this.scenes, objectRecall: this.recallSum / n, exact: this.exactCount / n, unparsable: this.badCount / n, byObjectCount, misses: { ...this.missed } };
  }
}

/** One line: recall per object count, then the misses ("1 object 100.0% (13), 2 objects 55.0% (10); missed: position 17, ..."). */
export function formatObjectRecallBreakdown(s: Pick<ObjectRecallSummary, 'byObjectCount' | 'misses'>): string {
  const pct = (x: number) => `${(x * 100).toFixed(1)}%`;
  const rows = Object.entries(s.byObjectCount).map(([k, r]) => `${k} object${k === '1' ? '' : 's'} ${pct(r.objectRecall)} (${r.scenes})`);
  const m = s.misses;
  return `${rows.join(', ') || 'no scenes'}; objects missed: position ${m.position}, colour ${m.colour}, shape ${m.shape}, size ${m.size}, absent ${m.absent}`;
}
