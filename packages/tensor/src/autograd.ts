/**
 * The autograd tape: graph nodes recorded by differentiable ops and the backward engine.
 *
 * Every op whose inputs require a gradient records a `GradNode` holding (a) edges to the nodes
 * (or leaf tensors) of its inputs, (b) the tensors it saved for its backward, retained as
 * private handles so that the user may dispose the originals, and (c) a backward function
 * written with ordinary tensor ops, so every backend gets gradients for free.
 *
 * Nodes are reference counted: by their output tensor while it is alive and by every node that
 * consumes it. When the count reaches zero (all outputs disposed and nothing downstream), the
 * saved tensors are released. `backward()` releases the saved tensors of the graph it ran
 * through unless `retainGraph` is set.
 */
import type { Tensor } from './tensor.js';
import { tidy } from './scope.js';

let gradEnabled = true;

/** Whether ops currently record the tape. */
export function isGradEnabled(): boolean {
  return gradEnabled;
}

/** Run `fn` with gradient recording set to `enabled`, restoring the previous setting after. */
function withGrad<T>(enabled: boolean, fn: () => T): T {
  const prev = gradEnabled;
  gradEnabled = enabled;
  try {
    return fn();
  } finally {
    gradEnabled = prev;
  }
}

/** Run `fn` without recording gradients (like `torch.no_grad`). */
export function noGrad<T>(fn: () => T): T {
  return withGrad(false, fn);
}

/** Run `fn` with gradient recording switched on (inside a `noGrad`). */
export function enableGrad<T>(fn: () => T): T {
  return withGrad(true, fn);
}

/** An input edge of a node: another node, a leaf tensor that accumulates `.grad`, or nothing. */
export type Edge = { node: GradNode } | { leaf: Tensor } | null;

/** The backward function of an op: upstream gradient and saved tensors to input gradients. */
export type BackwardFn = (grad: Tensor, saved: Tensor[]) => (Tensor | null | undefined)[];

/** One recorded op on the tape. */
export class GradNode {
  /** Reference count: the output tensor while alive plus consuming nodes. */
  refs = 1;
  /** True once the saved tensors were freed by a backward pass. */
  released = false;

  constructor(
    /** Op name, for error messages. */
    readonly name: string,
    /** Input edges, one per op input. */
    public edges: Edge[],
    /** Shapes of the inputs (for checking gradient shapes). */
    readonly inputShapes: (readonly number[])[],
    /** The backward function. */
    readonly backwardFn: BackwardFn,
    /** Privately retained tensors for the backward. */
    public saved: Tensor[],
  ) {
    for (const e of edges) if (e && 'node' in e) e.node.refs++;
  }

  /** Free the saved tensors (after a backward pass). */
  releaseSaved(): void {
    for (const t of this.saved) t.dispose();
    this.saved = [];
    this.released = true;
  }

  /** Drop one reference; at zero, free everything and release the input nodes. */
  decref(): void {
    if (--this.refs > 0) return;
    for (const t of this.saved) t.dispose();
    this.saved = [];
    const edges = this.edges;
    this.edges = [];
    for (const e of edges) if (e && 'node' in e) e.node.decref();
  }
}

/** Depth-first topological order of the nodes reachable from `root` (root first). */
function topoOrder(root: GradNode): GradNode[] {
  const visited = new Set<GradNode>();
  const post: GradNode[] = [];
  const stack: [GradNode, number][] = [[root, 0]];
  visited.add(root);
  while (stack.length > 0) {
    const top = stack[stack.length - 1]!;
    const [node, i] = top;
    if (i < node.edges.length) {
      top[1]++;
      const e = node.edges[i];
      if (e && 'node' in e && !visited.has(e.node)) {
        visited.add(e.node);
        stack.push([e.node, 0]);
      }
    } else {
      stack.pop();
      post.push(node);
    }
  }
  return post.reverse();
}

/** Hooks the engine needs from the tensor module (injected to avoid an import cycle). */
export interface EngineOps {
  add(a: Tensor, b: Tensor): Tensor;
  share(t: Tensor): Tensor;
  accumulateLeaf(leaf: Tensor, grad: Tensor): void;
  onesLike(t: Tensor): Tensor;
  fmt(shape: readonly number[]): string;
}

/** Run reverse-mode differentiation from `root` (see `Tensor.backward`). */
export function runBackward(root: Tensor, gradOutput: Tensor | undefined, retainGraph: boolean, ops: EngineOps): void {
  if (!root.requiresGrad) throw new Error('backward: tensor does not require grad (no input of the ops that produced it had requiresGrad)');
  if (gradOutput === undefined && root.size !== 1) {
    throw new Error(`backward: grad can be implicitly created only for a tensor with one element, got shape ${ops.fmt(root.shape)}; pass gradOutput`);
  }
  if (gradOutput !== undefined && (gradOutput.shape.length !== root.shape.length || gradOutput.shape.some((d, i) => d !== root.shape[i]))) {
    throw new Error(`backward: gradOutput shape ${ops.fmt(gradOutput.shape)} does not match tensor shape ${ops.fmt(root.shape)}`);
  }
  noGrad(() => {
    const g0 = gradOutput ? ops.share(gradOutput) : ops.onesLike(root);
    const node = root._node;
    if (!node) {
      ops.accumulateLeaf(root, g0);
      return;
    }
    const order = topoOrder(node);
    const grads = new Map<GradNode, Tensor>();
    grads.set(node, g0);
    for (const n of order) {
      const g = grads.get(n);
      if (!g) continue;
      grads.delete(n);
      if (n.released) {
        g.dispose();
        for (const t of grads.values()) t.dispose();
        throw new Error(`backward: trying to backward through the graph a second time (op ${n.name}); its saved tensors were freed. Pass { retainGraph: true } to the first backward.`);
      }
      let inGrads: (Tensor | null | undefined)[];
      try {
        // Intermediates of the backward function are freed; returned gradients are kept.
        inGrads = tidy(() => n.backwardFn(g, n.saved));
      } catch (err) {
        g.dispose();
        for (const t of grads.values()) t.dispose();
        throw err;
      }
      const consumed = new Set<Tensor>();
      for (let i = 0; i < n.edges.length; i++) {
        const e = n.edges[i];
        let gi = inGrads[i];
        if (!e || !gi) continue;
        const want = n.inputShapes[i]!;
        if (gi.shape.length !== want.length || gi.shape.some((d, j) => d !== want[j])) {
          throw new Error(`backward: op ${n.name} produced a gradient of shape ${ops.fmt(gi.shape)} for input ${i} of shape ${ops.fmt(want)}`);
        }
        if (gi === g || consumed.has(gi)) gi = ops.share(gi);
        else consumed.add(gi);
        if ('node' in e) {
          const prev = grads.get(e.node);
          if (prev) {
            grads.set(e.node, ops.add(prev, gi));
            prev.dispose();
            gi.dispose();
          } else {
            grads.set(e.node, gi);
          }
        } else {
          ops.accumulateLeaf(e.leaf, gi);
        }
      }
      // Grads returned by backwardFn that were not consumed (no edge) are freed here.
      for (const gi of inGrads) if (gi && gi !== g && !consumed.has(gi) && !gi.isDisposed) gi.dispose();
      g.dispose();
    }
    if (!retainGraph) for (const n of order) n.releaseSaved();
  });
}
