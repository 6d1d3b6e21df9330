/** Module system: paths, discovery, modes, state dicts, strict loading, safetensors round trips. */
import { describe, expect, it } from 'vitest';
import { CpuBackend, Generator, Tensor, memory, randn, tensor, tidy, zeros } from '@unihetero/tensor';
import {
  Embedding,
  LayerNorm,
  Linear,
  MLP,
  Module,
  ModuleDict,
  ModuleList,
  RMSNorm,
  Sequential,
  StateDictError,
  GatedMLP,
  Dropout,
  GELU,
  loadSafetensors,
  stateDictToSafetensors,
} from '../src/index.js';

class Attention extends Module {
  declare q_proj: Linear;
  declare o_proj: Linear;
  constructor(dim: number, gen: Generator) {
    super();
    this.registerModule('q_proj', new Linear(dim, dim, { bias: false, generator: gen }));
    this.registerModule('o_proj', new Linear(dim, dim, { generator: gen }));
  }
  override forward(x: Tensor): Tensor {
    return tidy(() => this.o_proj.forward(this.q_proj.forward(x)));
  }
}

class Block extends Module {
  declare attn: Attention;
  declare norm: RMSNorm;
  declare drop: Dropout;
  constructor(dim: number, gen: Generator) {
    super();
    this.registerModule('attn', new Attention(dim, gen));
    this.registerModule('norm', new RMSNorm(dim));
    this.registerModule('drop', new Dropout(0.1, { generator: gen }));
  }
  override forward(x: Tensor): Tensor {
    return tidy(() => this.drop.forward(this.attn.forward(this.norm.forward(x))));
  }
}

class Tiny extends Module {
  declare embed: Embedding;
  declare layers: ModuleList<Block>;
  declare head: Linear;
  declare positions: Tensor;
  constructor(gen = new Generator(0)) {
    super();
    this.registerModule('embed', new Embedding(10, 4, { generator: gen }));
    this.registerModule('layers', new ModuleList([new Block(4, gen), new Block(4, gen)]));
    this.registerModule('head', new Linear(4, 10, { generator: gen }));
    this.registerBuffer('positions', tensor([0, 1, 2]));
    this.registerBuffer('cache', zeros([2]), { persistent: false });
  }
  override forward(ids: Tensor): Tensor {
    return tidy(() => {
      let h = this.embed.forward(ids);
      for (const b of this.layers) h = b.forward(h);
      return this.head.forward(h);
    });
  }
}

describe('Module', () => {
  it('names parameters with PyTorch dot paths in registration order', () => {
    const m = new Tiny();
    expect(m.namedParameters().map(([n]) => n)).toEqual([
      'embed.weight',
      'layers.0.attn.q_proj.weight',
      'layers.0.attn.o_proj.weight',
      'layers.0.attn.o_proj.bias',
      'layers.0.norm.weight',
      'layers.1.attn.q_proj.weight',
      'layers.1.attn.o_proj.weight',
      'layers.1.attn.o_proj.bias',
      'layers.1.norm.weight',
      'head.weight',
      'head.bias',
    ]);
    expect(m.namedBuffers().map(([n]) => n)).toEqual(['positions', 'cache']);
    expect(m.namedModules().map(([n]) => n)).toEqual([
      '', 'embed', 'layers', 'layers.0', 'layers.0.attn', 'layers.0.attn.q_proj', 'layers.0.attn.o_proj', 'layers.0.norm', 'layers.0.drop',
      'layers.1', 'layers.1.attn', 'layers.1.attn.q_proj', 'layers.1.attn.o_proj', 'layers.1.norm', 'layers.1.drop', 'head',
    ]);
    expect(m.children().length).toBe(3);
    expect(m.head.weight.shape).toEqual([10, 4]);
    expect(m.layers.at(1).attn.q_proj.bias).toBeNull();
    expect(m.numParameters()).toBe(40 + 2 * (16 + 16 + 4 + 4) + 40 + 10);
    expect(m.parameters().every((p) => p.requiresGrad)).toBe(true);
    expect([...m.stateDict().keys()]).toContain('positions');
    expect([...m.stateDict().keys()]).not.toContain('cache');
    m.dispose();
  });

  it('discovers Module and grad-requiring Tensor fields assigned without registration', () => {
    class Auto extends Module {
      fc = new Linear(3, 2, { generator: new Generator(1) });
      scale = randn([2], { requiresGrad: true });
      notParam = zeros([2]);
      override forward(x: Tensor): Tensor {
        return this.fc.forward(x).mul(this.scale);
      }
    }
    const a = new Auto();
    // As PyTorch: a module's own parameters first, then its children's.
    expect(a.namedParameters().map(([n]) => n)).toEqual(['scale', 'fc.weight', 'fc.bias']);
    expect(a.namedBuffers()).toEqual([]);
    a.dispose();
    a.notParam.dispose();
  });

  it('shares tied parameters once in parameters() but under both keys in stateDict()', () => {
    const gen = new Generator(3);
    const emb = new Embedding(5, 3, { generator: gen });
    const head = new Linear(3, 5, { bias: false, generator: gen });
    head.weight.dispose();
    head.weight = emb.weight; // tie through the accessor
    const m = new Sequential(emb, head);
    expect(m.namedParameters().map(([n]) => n)).toEqual(['0.weight']);
    expect([...m.stateDict().keys()]).toEqual(['0.weight', '1.weight']);
    emb.dispose();
  });

  it('propagates train/eval to every descendant and dropout follows it', () => {
    const m = new Tiny();
    expect(m.modules().every((x) => x.training)).toBe(true);
    m.eval();
    expect(m.modules().some((x) => x.training)).toBe(false);
    const x = randn([2, 4], { generator: new Generator(9) });
    const y = m.layers.at(0).drop.forward(x);
    expect(Array.from(y.dataSync())).toEqual(Array.from(x.dataSync()));
    m.train();
    expect(m.layers.at(1).drop.training).toBe(true);
    m.train(false);
    expect(m.layers.at(1).drop.training).toBe(false);
    x.dispose();
    y.dispose();
    m.dispose();
  });

  it('apply() visits children first, then the module', () => {
    const order: string[] = [];
    const m = new Sequential(new Linear(2, 2), new GELU(), new Linear(2, 1));
    m.apply((x) => order.push(x.constructor.name));
    expect(order).toEqual(['Linear', 'GELU', 'Linear', 'Sequential']);
    m.dispose();
  });

  it('round-trips a state dict through safetensors bytes into a differently seeded model', async () => {
    const a = new Tiny(new Generator(1));
    const b = new Tiny(new Generator(2));
    expect(a.head.weight.dataSync()).not.toEqual(b.head.weight.dataSync());
    const bytes = await stateDictToSafetensors(a, { note: 'test' });
    const report = await loadSafetensors(b, bytes);
    expect(report).toEqual({ missing: [], unexpected: [], mismatched: [] });
    for (const [k, t] of a.stateDict()) expect(Array.from(b.stateDict().get(k)!.dataSync())).toEqual(Array.from(t.dataSync()));
    // Identity kept: b's parameters were written in place.
    const ids = tensor([[1, 2, 3]], { dtype: 'int32' });
    a.eval();
    b.eval();
    const ya = a.forward(ids);
    const yb = b.forward(ids);
    expect(Array.from(yb.dataSync())).toEqual(Array.from(ya.dataSync()));
    for (const t of [ids, ya, yb]) t.dispose();
    a.dispose();
    b.dispose();
  });

  it('loadStateDict in strict mode names every missing, unexpected and mismatched key and loads nothing', () => {
    const m = new MLP([3, 4, 2], { generator: new Generator(0) });
    const before = Array.from(m.layers.at(0).weight.dataSync());
    const sd = new Map<string, Tensor>([
      ['layers.0.weight', zeros([4, 3])],
      ['layers.0.bias', zeros([5])], // mismatched
      ['layers.1.weight', zeros([2, 4])],
      ['layers.2.weight', zeros([1])], // unexpected
    ]); // layers.1.bias missing
    let err: unknown;
    try {
      m.loadStateDict(sd);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(StateDictError);
    const msg = (err as Error).message;
    expect(msg).toContain('missing keys [layers.1.bias]');
    expect(msg).toContain('unexpected keys [layers.2.weight]');
    expect(msg).toContain('layers.0.bias: module [4] vs state dict [5]');
    expect((err as StateDictError).report.mismatched).toEqual([{ key: 'layers.0.bias', expected: [4], got: [5] }]);
    expect(Array.from(m.layers.at(0).weight.dataSync())).toEqual(before);

    const report = m.loadStateDict(sd, { strict: false });
    expect(report.missing).toEqual(['layers.1.bias']);
    expect(report.unexpected).toEqual(['layers.2.weight']);
    expect(Array.from(m.layers.at(0).weight.dataSync())).toEqual(new Array(12).fill(0));
    expect(m.layers.at(0).bias!.dataSync().some((v) => v !== 0)).toBe(true); // mismatched: untouched
    for (const t of sd.values()) t.dispose();
    m.dispose();
  });

  it('loadSafetensors remaps Meta names to GatedMLP (HF names), skips keys mapped to null, and reports strictly', async () => {
    // A Meta-style SwiGLU (w1 = gate, w2 = down, w3 = up) saved to bytes...
    class Meta extends Module {
      w1 = new Linear(4, 8, { bias: false, generator: new Generator(5) });
      w2 = new Linear(8, 4, { bias: false, generator: new Generator(5) });
      w3 = new Linear(4, 8, { bias: false, generator: new Generator(5) });
    }
    const src = new Meta();
    const metaBytes = await stateDictToSafetensors(src);
    // ...loads into the one gated MLP block through a remap.
    const hf = new GatedMLP(4, 8, { generator: new Generator(6) });
    const map: Record<string, string> = { 'w1.weight': 'gate_proj.weight', 'w2.weight': 'down_proj.weight', 'w3.weight': 'up_proj.weight' };
    await loadSafetensors(hf, metaBytes, { remap: (k) => map[k] ?? null });
    expect(Array.from(hf.gate_proj.weight.dataSync())).toEqual(Array.from(src.w1.weight.dataSync()));
    expect(Array.from(hf.down_proj.weight.dataSync())).toEqual(Array.from(src.w2.weight.dataSync()));
    expect(Array.from(hf.up_proj.weight.dataSync())).toEqual(Array.from(src.w3.weight.dataSync()));
    // Strict failure without remap.
    await expect(loadSafetensors(hf, metaBytes)).rejects.toThrow(/missing keys \[gate_proj.weight, up_proj.weight, down_proj.weight\]; unexpected keys \[w1.weight, w2.weight, w3.weight\]/);
    const r = await loadSafetensors(hf, metaBytes, { strict: false, remap: (k) => (k === 'w1.weight' ? 'gate_proj.weight' : k) });
    expect(r.missing).toEqual(['up_proj.weight', 'down_proj.weight']);
    expect(r.unexpected).toEqual(['w2.weight', 'w3.weight']);
    src.dispose();
    hf.dispose();
  });

  it('moves parameters and buffers to another backend, keeping requiresGrad and field access', async () => {
    const other = new CpuBackend();
    const m = new Tiny();
    const w = Array.from(m.head.weight.dataSync());
    await m.toBackend(other);
    expect(m.head.weight.backend).toBe(other);
    expect(m.head.weight.requiresGrad).toBe(true);
    expect(m.parameters().every((p) => p.backend === other)).toBe(true);
    expect(m.buffers().every((p) => p.backend === other)).toBe(true);
    expect(Array.from(m.head.weight.dataSync())).toEqual(w);
    expect(m.backend).toBe(other);
    m.dispose();
    expect(other.memory().bytesInUse).toBe(0);
  });

  it('dispose() returns memory to its baseline; zeroGrad clears gradients', () => {
    const base = memory();
    const m = new Tiny();
    const ids = tensor([[1, 2]], { dtype: 'int32' });
    const loss = tidy(() => m.forward(ids).square().mean());
    loss.backward();
    expect(m.head.weight.grad).not.toBeNull();
    m.zeroGrad();
    expect(m.parameters().every((p) => p.grad === null)).toBe(true);
    loss.dispose();
    ids.dispose();
    m.dispose();
    expect(memory()).toMatchObject({ tensors: base.tensors, bytesInUse: base.bytesInUse });
  });

  it('ModuleDict, Sequential, LayerNorm and errors name the offending values', () => {
    const d = new ModuleDict({ enc: new Linear(2, 3), dec: new Linear(3, 2) });
    expect(d.namedParameters().map(([n]) => n)).toEqual(['enc.weight', 'enc.bias', 'dec.weight', 'dec.bias']);
    expect(() => d.get('nope')).toThrow("ModuleDict.get: no module 'nope' (have: enc, dec)");
    const s = new Sequential(d.get('enc'), new LayerNorm(3), d.get('dec'));
    const x = randn([5, 2], { generator: new Generator(0) });
    const y = s.forward(x);
    expect(y.shape).toEqual([5, 2]);
    expect(() => s.forward(randn([5, 3]))).toThrow('Linear.forward: expected input [..., 2], got [5,3]');
    const m = new Module();
    expect(() => m.registerParameter('a.b', zeros([1]))).toThrow("registerParameter: name must not contain '.', got 'a.b'");
    expect(() => m.forward()).toThrow('Module.forward: not implemented');
    x.dispose();
    y.dispose();
    s.dispose();
  });
});
