/**
 * Modules written as PyTorch users write them: plain fields, `parameter()`, scoped `call()`,
 * submodules that can be replaced (`LoRALinear`), and the one gated MLP block.
 */
import { describe, expect, it } from 'vitest';
import { Generator, Tensor, memory, noGrad, ones, randn, tensor, tidy } from '@unihetero/tensor';
import { GatedMLP, LayerNorm, Linear, LoRALinear, Module, ModuleList, RMSNorm, parameter } from '../src/index.js';

class Block extends Module {
  norm: RMSNorm;
  proj: Linear;
  scale: Tensor;
  extra: Linear | null = null;
  readonly dim: number;
  constructor(dim: number, gen: Generator) {
    super();
    this.dim = dim;
    this.norm = new RMSNorm(dim);
    this.proj = new Linear(dim, dim, { generator: gen });
    this.scale = parameter(ones([dim]));
  }
  override forward(x: Tensor): Tensor {
    return x.add(this.proj.call(this.norm.call(x)).mul(this.scale));
  }
}

class Net extends Module {
  blocks: ModuleList<Block>;
  head: Linear;
  constructor(gen = new Generator(0)) {
    super();
    this.blocks = new ModuleList([new Block(4, gen), new Block(4, gen)]);
    this.head = new Linear(4, 3, { generator: gen });
  }
  override forward(x: Tensor): Tensor {
    let h = x;
    for (const b of this.blocks) h = b.call(h);
    return this.head.call(h);
  }
}

const values = (t: Tensor) => Array.from(t.dataSync());

describe('plain fields', () => {
  it('are the module tree: parameters and submodules in field order, with dotted names', () => {
    const net = new Net();
    expect(net.namedParameters().map(([n]) => n)).toEqual([
      'blocks.0.scale', 'blocks.0.norm.weight', 'blocks.0.proj.weight', 'blocks.0.proj.bias',
      'blocks.1.scale', 'blocks.1.norm.weight', 'blocks.1.proj.weight', 'blocks.1.proj.bias',
      'head.weight', 'head.bias',
    ]);
    expect([...net.stateDict().keys()]).toEqual(net.namedParameters().map(([n]) => n));
    expect(net.numParameters()).toBe(2 * (4 + 4 + 16 + 4) + 12 + 3);
    net.dispose();
  });

  it('a field assigned later (null until then) joins the tree; assigning a field replaces the member', () => {
    const b = new Block(4, new Generator(1));
    expect(b.namedChildren().map(([n]) => n)).toEqual(['norm', 'proj']);
    b.extra = new Linear(4, 4, { generator: new Generator(2) });
    expect(b.namedChildren().map(([n]) => n)).toEqual(['norm', 'proj', 'extra']);
    const old = b.proj;
    b.proj = new Linear(4, 4, { bias: false, generator: new Generator(3) });
    expect(b.namedParameters().map(([n]) => n)).toEqual(['scale', 'norm.weight', 'proj.weight', 'extra.weight', 'extra.bias']);
    old.dispose();
    b.dispose();
  });

  it('parameter() marks a floating leaf as trainable (still a parameter once frozen) and names bad inputs', () => {
    const p = parameter(tensor([1, 2]));
    expect(p.requiresGrad).toBe(true);
    const frozen = new Linear(2, 2, { generator: new Generator(15) });
    frozen.weight.requiresGrad_(false); // before any traversal
    expect(frozen.namedParameters().map(([n]) => n)).toEqual(['weight', 'bias']);
    expect(() => parameter(tensor([1, 2], { dtype: 'int32' }))).toThrow('parameter: a parameter must be a floating tensor, got int32 [2]');
    const leaf = tensor([1, 2], { requiresGrad: true });
    expect(() => parameter(leaf.mul(2))).toThrow('parameter: a parameter must be a leaf tensor (detach() it first), got the result of an op [2]');
    expect(() => parameter(null as never)).toThrow('parameter: expected a Tensor, got null');
  });

  it('mixes with registerModule / registerParameter (kept for compatibility)', () => {
    class Old extends Module {
      declare a: Linear;
      b: LayerNorm;
      constructor() {
        super();
        this.registerModule('a', new Linear(2, 2, { generator: new Generator(4) }));
        this.b = new LayerNorm(2);
      }
    }
    expect(new Old().namedParameters().map(([n]) => n)).toEqual(['a.weight', 'a.bias', 'b.weight', 'b.bias']);
  });
});

describe('call()', () => {
  it('runs forward in a scope: only the result survives, with or without gradients', () => {
    const net = new Net(new Generator(5));
    const x = randn([6, 4], { generator: new Generator(6) });
    const base = memory();
    net.call(x).dispose();
    noGrad(() => net.call(x)).dispose();
    const loss = tidy(() => net.call(x).square().mean());
    loss.backward();
    loss.dispose();
    net.zeroGrad();
    expect(memory()).toMatchObject({ tensors: base.tensors, bytesInUse: base.bytesInUse });
    // forward itself leaves intermediates to the caller's scope
    const before = memory().tensors;
    tidy(() => net.forward(x)).dispose();
    expect(memory().tensors).toBe(before);
    x.dispose();
    net.dispose();
  });

  it('keeps every tensor of a returned plain object, array or Map', () => {
    class Two extends Module {
      lin = new Linear(2, 2, { generator: new Generator(7) });
      override forward(x: Tensor) {
        const y = this.lin.call(x);
        return { y, parts: [y.relu(), new Map([['neg', y.neg()]])] };
      }
    }
    const m = new Two();
    const x = tensor([[1, -2]]);
    const before = memory().tensors;
    const out = noGrad(() => m.call(x)); // (with gradients, the tape would also hold saved inputs)
    expect(memory().tensors).toBe(before + 3);
    expect(values(out.parts[0] as Tensor)).toEqual(values(out.y).map((v) => Math.max(v, 0)));
    for (const t of [out.y, out.parts[0] as Tensor, (out.parts[1] as Map<string, Tensor>).get('neg')!]) t.dispose();
    expect(memory().tensors).toBe(before);
  });
});

describe('replacing a submodule', () => {
  it('a LoRALinear put in place of a Linear is called by the parent forward', () => {
    const net = new Net(new Generator(8));
    const x = randn([3, 4], { generator: new Generator(9) });
    const plain = values(net.call(x));
    const lora = new LoRALinear(net.blocks.at(1).proj, { rank: 2, generator: new Generator(10) });
    net.blocks.at(1).proj = lora; // a LoRALinear is a Linear: the field's type is kept
    // lora_B starts at zero: same output
    expect(values(net.call(x))).toEqual(plain);
    noGrad(() => lora.lora_B.weight.assign(tensor([[1, 0], [0, 1], [1, 1], [0.5, -0.5]])));
    const adapted = values(net.call(x));
    expect(adapted).not.toEqual(plain);
    // the adapter's parameters are in the tree and receive gradients; the frozen base does not
    const names = net.namedParameters().map(([n]) => n);
    // the base weights keep their keys (a pretrained checkpoint still loads); the adapter adds two
    expect(names.filter((n) => n.startsWith('blocks.1.proj.'))).toEqual(['blocks.1.proj.weight', 'blocks.1.proj.bias', 'blocks.1.proj.lora_A.weight', 'blocks.1.proj.lora_B.weight']);
    const loss = tidy(() => net.call(x).sum());
    loss.backward();
    expect(lora.lora_A.weight.grad).not.toBeNull();
    expect(lora.lora_B.weight.grad).not.toBeNull();
    expect(lora.weight.grad).toBeNull();
    expect(lora.weight.requiresGrad).toBe(false);
    loss.dispose();
    // a ModuleList entry is replaced by index
    net.blocks.set(-1, new Block(4, new Generator(16)));
    expect(values(net.call(x))).not.toEqual(adapted);
    expect(() => net.blocks.set(2, new Block(4, new Generator(16)))).toThrow('ModuleList.set: index 2 out of range for length 2');
    net.dispose();
  });

  it('LoRALinear computes base(x) + (alpha / r) B A x and names bad inputs', () => {
    const base = new Linear(3, 2, { generator: new Generator(11) });
    const lora = new LoRALinear(base, { rank: 1, alpha: 4, freezeBase: false, generator: new Generator(12) });
    expect(lora.scaling).toBe(4);
    expect(base.weight.requiresGrad).toBe(true);
    noGrad(() => lora.lora_B.weight.assign(tensor([[1], [2]])));
    const x = tensor([[1, 2, 3]]);
    const a = values(lora.lora_A.call(x))[0]!;
    const b = values(base.call(x));
    const want = [b[0]! + 4 * a, b[1]! + 8 * a];
    values(lora.call(x)).forEach((v, i) => expect(v).toBeCloseTo(want[i]!, 5));
    expect(() => new LoRALinear(new RMSNorm(3) as never)).toThrow('LoRALinear: base must be a Linear, got RMSNorm');
    expect(() => new LoRALinear(base, { rank: 0 })).toThrow('LoRALinear: rank must be a positive integer, got 0');
  });
});

describe('GatedMLP', () => {
  it('is down_proj(silu(gate_proj x) * up_proj x) with HF names, flattening any leading dims', () => {
    const m = new GatedMLP(4, 6, { generator: new Generator(13) });
    expect(m.namedParameters().map(([n]) => n)).toEqual(['gate_proj.weight', 'up_proj.weight', 'down_proj.weight']);
    const x = randn([2, 3, 4], { generator: new Generator(14) });
    const y = m.call(x);
    expect(y.shape).toEqual([2, 3, 4]);
    const want = tidy(() => m.down_proj.call(m.gate_proj.call(x).silu().mul(m.up_proj.call(x))));
    values(y).forEach((v, i) => expect(v).toBeCloseTo(values(want)[i]!, 6));
    const geglu = new GatedMLP(4, 6, { activation: 'gelu', outDim: 2, bias: true, generator: new Generator(13) });
    expect(geglu.call(x).shape).toEqual([2, 3, 2]);
    expect(geglu.namedParameters().map(([n]) => n)).toContain('down_proj.bias');
    expect(() => m.call(randn([2, 5]))).toThrow('GatedMLP.forward: expected input [..., 4], got [2,5]');
    expect(() => new GatedMLP(4, 6, { activation: 'swish' as never })).toThrow("activation: unknown activation 'swish'");
  });
});
