// The same graphs on every provider, against float64 references and against each other: plain runs,
// a weight kept on the device across runs (IO binding), float16 outputs, and downloads of device tensors.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { ProviderName } from '../../protocol/vocabulary';
import type { DeviceTensor, HostTensor, Runtime } from '../../sidecar/runtime/runtime';
import { toHalfBits } from '../../sidecar/onnx/values';
import { affineModel, affineRef, convModel, convRef, halfModel, lcg, maxRelErr, sgdStepModel, sgdStepRef } from './models';
import { runtimeOn } from './provider-under-test';

const host = (dims: number[], data: Float32Array): HostTensor => ({ dtype: 'float32', dims, data });
const asHost = (v: HostTensor | DeviceTensor | undefined): HostTensor => {
  assert.ok(v && !('kind' in v), 'expected a host tensor');
  return v as HostTensor;
};
const asDevice = (v: HostTensor | DeviceTensor | undefined): DeviceTensor => {
  assert.ok(v && 'kind' in v && v.kind === 'device', 'expected a device tensor');
  return v as DeviceTensor;
};

/** What each provider computed, to compare providers with each other at the end. */
const results = new Map<ProviderName, Map<string, Float32Array>>();

for (const provider of ['cpu', 'webgpu'] as const) {
  describe(`graphs on ${provider}`, () => {
    let rt: Runtime | undefined;
    let skip: string | undefined;
    const seen = new Map<string, Float32Array>();
    before(async () => {
      ({ rt, skip } = await runtimeOn(provider));
      results.set(provider, seen);
    });
    after(() => rt?.close());

    it('affine layer with a dynamic batch matches float64', async (t) => {
      if (!rt) return t.skip(skip);
      const [n, k, m] = [3, 5, 4];
      const [x, w, b] = [lcg(n * k, 1), lcg(k * m, 2), lcg(m, 3)];
      const s = await rt.load({ bytes: affineModel(b, k, m) }, { name: 'affine' });
      assert.deepEqual(s.inputNames, ['x', 'w']);
      assert.deepEqual(s.outputNames, ['y']);
      const y = asHost((await s.run({ x: host([n, k], x), w: host([k, m], w) })).y);
      assert.deepEqual(y.dims, [n, m]);
      assert.equal(y.dtype, 'float32');
      assert.ok(maxRelErr(y.data as Float32Array, affineRef(x, w, b, n, k, m)) < 1e-5);
      seen.set('affine', y.data as Float32Array);
      await s.release();
    });

    it('3×3 convolution matches float64', async (t) => {
      if (!rt) return t.skip(skip);
      const [ci, co, h, w] = [2, 3, 5, 6];
      const [x, k] = [lcg(ci * h * w, 4), lcg(co * ci * 9, 5)];
      const s = await rt.load({ bytes: convModel(ci, co, h, w) }, { name: 'conv' });
      const y = asHost((await s.run({ x: host([1, ci, h, w], x), k: host([co, ci, 3, 3], k) })).y);
      assert.deepEqual(y.dims, [1, co, h, w]);
      assert.ok(maxRelErr(y.data as Float32Array, convRef(x, k, ci, co, h, w)) < 1e-5);
      seen.set('conv', y.data as Float32Array);
      await s.release();
    });

    it('keeps a weight on the device across 20 gradient steps and matches float64 (IO binding)', async (t) => {
      if (!rt) return t.skip(skip);
      const [n, k, m, lr, steps] = [6, 4, 3, 0.02, 20];
      const [x, target, w0] = [lcg(n * k, 6), lcg(n * m, 7), lcg(k * m, 8)];
      const s = await rt.load({ bytes: sgdStepModel(lr, n, k, m) }, { name: 'sgd_step' });
      let ref: { w: Float64Array; loss: number } = { w: Float64Array.from(w0), loss: 0 };
      let w: HostTensor | DeviceTensor = host([k, m], w0);
      const losses: number[] = [];
      for (let i = 0; i < steps; i++) {
        const out = await s.run({ x: host([n, k], x), t: host([n, m], target), w }, { keepOnDevice: ['w_next'] });
        const next = asDevice(out.w_next);
        assert.deepEqual(next.dims, [k, m]);
        assert.equal(next.location, provider === 'cpu' ? 'cpu' : 'gpu-buffer', 'kept where the provider computes');
        if ('kind' in w) await rt.release(w); // the previous step's weight is no longer needed
        w = next;
        losses.push((asHost(out.loss).data as Float32Array)[0]!);
        ref = sgdStepRef(x, target, ref.w, lr, n, k, m);
      }
      const final = await rt.download(w as DeviceTensor);
      assert.deepEqual(final.dims, [k, m]);
      assert.ok(maxRelErr(final.data as Float32Array, ref.w) < 1e-5, 'weights after 20 device-resident steps');
      assert.ok(losses[steps - 1]! < losses[0]!, 'the loss went down');
      // A download is a copy: the device tensor is still usable afterwards.
      const again = await rt.download(w as DeviceTensor);
      assert.deepEqual(Array.from(again.data as Float32Array), Array.from(final.data as Float32Array));
      seen.set('sgd', final.data as Float32Array);
      await rt.release(w as DeviceTensor);
      await assert.rejects(rt.download(w as DeviceTensor), /released/);
      await assert.rejects(
        s.run({ x: host([n, k], x), t: host([n, m], target), w }),
        /input "w": device tensor #\d+ was released/,
      );
      await s.release();
    });

    it('float16 outputs come back as IEEE half bits, kept on the device or not', async (t) => {
      if (!rt) return t.skip(skip);
      const x = Float32Array.from([0.5, -1.25, 3, 1000.5, 1e-3]);
      const want = Array.from(x, (v) => toHalfBits(2 * Math.fround(v)));
      const s = await rt.load({ bytes: halfModel(x.length) }, { name: 'half' });
      const direct = asHost((await s.run({ x: host([x.length], x) })).y);
      assert.equal(direct.dtype, 'float16');
      assert.ok(direct.data instanceof Uint16Array);
      // Cast rounds once to half; doubling a half is exact, so the bits are determined.
      assert.deepEqual(Array.from(direct.data), want);
      const kept = asDevice((await s.run({ x: host([x.length], x) }, { keepOnDevice: ['y'] })).y);
      assert.equal(kept.dtype, 'float16');
      assert.deepEqual(Array.from((await rt.download(kept)).data as Uint16Array), want);
      await rt.release(kept);
      await s.release();
    });
  });
}

describe('providers agree', () => {
  it('WebGPU computes the same numbers as CPU', (t) => {
    const [cpu, gpu] = [results.get('cpu'), results.get('webgpu')];
    if (!cpu?.size || !gpu?.size) return t.skip('needs both providers');
    for (const [name, a] of cpu) {
      const b = gpu.get(name);
      assert.ok(b, `webgpu has no result for ${name}`);
      assert.ok(maxRelErr(b, a) < 1e-5, `${name}: webgpu vs cpu`);
    }
  });
});
